import { expect, it } from 'vitest';
import {
  revocationHorizon,
  Revocations,
  SessionRepository,
} from '../../src/identity/sessions/index.js';
import { PRUNE_BATCH, PRUNE_MAX_BATCHES } from '../../src/identity/sessions/revocations.js';
import { testPrincipal } from '../../src/pipeline/principal.test-helpers.js';
import { describeEachEngine } from '../store/engines.js';

const T0 = 1_800_000_000_000;
const EMBEDDED = 'https://ai.example.com';
const EXTERNAL = 'https://tenant.auth0.example';
const HOUR = 3_600_000;
const HORIZON = 24 * HOUR;
const owner = { tenant: 'tenant-a', issuer: EMBEDDED, subject: 'user-1' };

describeEachEngine('revocations pruned once they can no longer refuse a valid token', (engine) => {
  async function open(clock: { now: number }) {
    const store = await engine.open(engine.fresh());
    const repository = new SessionRepository(store.db);
    const revocations = await Revocations.open({
      repository,
      horizon: new Map([[EMBEDDED, HORIZON]]),
      now: () => clock.now,
    });
    return { store, repository, revocations };
  }

  it('deletes from the store and from memory what is past its horizon, keeps the rest', async () => {
    const clock = { now: T0 };
    const { repository, revocations } = await open(clock);
    await revocations.revoke('device', owner, 'jkt-old');
    await revocations.revoke('subject', owner, '');
    await revocations.revoke('session', { ...owner, issuer: EXTERNAL }, 'sid-external');
    clock.now = T0 + 12 * HOUR;
    await revocations.revoke('session', owner, 'sid-recent');

    clock.now = T0 + HORIZON + 1;
    expect(await revocations.prune()).toBe(2);
    const stored = (await repository.allRevocations()).map((r) => `${r.kind}:${r.target}`);
    expect(stored.sort()).toEqual(['session:sid-external', 'session:sid-recent']);
    const list = revocations.list;
    expect(list.isRevoked('device', owner, 'jkt-old')).toBe(false);
    expect(list.subjectRevokedAt(owner)).toBeUndefined();
    expect(list.isRevoked('session', owner, 'sid-recent')).toBe(true);
    // An external issuer's lifetimes are unknown: its revocation stays, however old.
    expect(list.isRevoked('session', { ...owner, issuer: EXTERNAL }, 'sid-external')).toBe(true);

    // A resync does not bring back what was pruned.
    await revocations.resync();
    expect(list.isRevoked('device', owner, 'jkt-old')).toBe(false);
    await revocations.close();
  });

  it('a revocation renewed before the prune keeps its new moment and stays', async () => {
    const clock = { now: T0 };
    const { repository, revocations } = await open(clock);
    await revocations.revoke('subject', owner, '');
    clock.now = T0 + HORIZON - HOUR;
    await revocations.revoke('subject', owner, '');
    clock.now = T0 + HORIZON + 1;
    expect(await revocations.prune()).toBe(0);
    expect(await repository.allRevocations()).toEqual([
      expect.objectContaining({ kind: 'subject', revokedAt: T0 + HORIZON - HOUR }),
    ]);
    // Still refusing a token issued before the renewed cut-off.
    const principal = testPrincipal({
      ...owner,
      issuedAt: (T0 + HORIZON - 2 * HOUR) / 1000,
    });
    expect(revocations.list.revokedBy(principal)).toBe('subject');
    await revocations.close();
  });

  it('is bounded: one run deletes at most PRUNE_BATCH × PRUNE_MAX_BATCHES rows, the next the rest', async () => {
    const clock = { now: T0 };
    const { store, repository, revocations } = await open(clock);
    const bound = PRUNE_BATCH * PRUNE_MAX_BATCHES;
    const rows = Array.from({ length: bound + 25 }, (_, i) => ({
      kind: 'device' as const,
      tenant: 'tenant-a',
      issuer: EMBEDDED,
      subject: `user-${i}`,
      target: `jkt-${i}`,
      revoked_at: T0,
    }));
    for (let i = 0; i < rows.length; i += 200) {
      await store.db
        .insertInto('revocations')
        .values(rows.slice(i, i + 200))
        .execute();
    }
    await revocations.resync();
    clock.now = T0 + HORIZON + 1;
    expect(await revocations.prune()).toBe(bound);
    expect(await repository.allRevocations()).toHaveLength(25);
    expect(await revocations.prune()).toBe(25);
    expect(await repository.allRevocations()).toEqual([]);
    expect(revocations.list.size).toBe(0);
    await revocations.close();
  });
});

it("the embedded provider's horizon is its login lifetime plus an access token's plus skew; external issuers have none", () => {
  const horizon = revocationHorizon(
    { identity: { refreshTokenTtlSeconds: 86_400, accessTokenTtlSeconds: 300 } } as never,
    { config: { issuer: EMBEDDED, clockSkewSeconds: 5 } } as never,
  );
  expect([...horizon]).toEqual([[EMBEDDED, (86_400 + 300 + 5) * 1000]]);
  expect(revocationHorizon({ identity: {} } as never, undefined).size).toBe(0);
});
