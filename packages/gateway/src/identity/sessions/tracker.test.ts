import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../store/index.js';
import { testPrincipal } from '../../pipeline/principal.test-helpers.js';
import type { Principal } from '../../pipeline/exchange.js';
import { revocationGate } from './gate.js';
import { SessionRepository } from './repository.js';
import { RevocationList } from './revocation-list.js';
import { SessionTracker } from './tracker.js';

const T0 = 1_800_000_000_000;

function principal(overrides: Partial<Principal> = {}): Principal {
  return testPrincipal({
    issuer: 'https://issuer.example',
    tenant: 'tenant-a',
    deviceJkt: 'jkt-1',
    tokenId: 'jti-1',
    sessionId: 'sid-1',
    issuedAt: T0 / 1000,
    ...overrides,
  });
}

let store: Store | undefined;
const trackers: SessionTracker[] = [];
afterEach(async () => {
  for (const tracker of trackers.splice(0)) await tracker.close();
  await store?.close();
  store = undefined;
});

/** A repository that counts its writes, over a real SQLite store. */
async function counted() {
  store = await openStore({
    url: undefined,
    dataDir: mkdtempSync(join(tmpdir(), 'rampart-tracker-')),
  });
  const repository = new SessionRepository(store.db);
  const writes = { devices: 0, sessions: 0 };
  const upsertDevices = repository.upsertDevices.bind(repository);
  const upsertSessions = repository.upsertSessions.bind(repository);
  repository.upsertDevices = (rows) => {
    writes.devices += 1;
    return upsertDevices(rows);
  };
  repository.upsertSessions = (rows) => {
    writes.sessions += 1;
    return upsertSessions(rows);
  };
  return { repository, writes };
}

function tracker(
  repository: SessionRepository,
  options: ConstructorParameters<typeof SessionTracker>[1] = {},
) {
  const created = new SessionTracker(repository, { flushIntervalMs: 60_000, ...options });
  trackers.push(created);
  return created;
}

describe('device and session registry recorder', () => {
  it('a thousand requests within a minute cost one write per key', async () => {
    const { repository, writes } = await counted();
    const recorder = tracker(repository);
    for (let i = 0; i < 1000; i++) recorder.seen(principal(), T0 + i * 50);
    await recorder.flush();
    expect(writes).toEqual({ devices: 1, sessions: 1 });
    const [device] = await repository.listDevices('tenant-a', 'user-1');
    expect(device).toMatchObject({ jkt: 'jkt-1', firstSeenAt: T0, lastSeenAt: T0 });
    const [session] = await repository.listSessions('tenant-a', 'user-1');
    expect(session).toMatchObject({ sessionId: 'sid-1', deviceJkt: 'jkt-1' });
  });

  it('after the throttle window the next sighting moves last_seen_at', async () => {
    const { repository } = await counted();
    const recorder = tracker(repository);
    recorder.seen(principal(), T0);
    await recorder.flush();
    recorder.seen(principal(), T0 + 59_999);
    recorder.seen(principal(), T0 + 60_000);
    await recorder.flush();
    const [device] = await repository.listDevices('tenant-a', 'user-1');
    expect(device).toMatchObject({ firstSeenAt: T0, lastSeenAt: T0 + 60_000 });
  });

  it('a principal without a device key or session records nothing', async () => {
    const { repository, writes } = await counted();
    const recorder = tracker(repository);
    recorder.seen(principal({ deviceJkt: undefined, sessionId: undefined }), T0);
    await recorder.flush();
    expect(writes).toEqual({ devices: 0, sessions: 0 });
  });

  it('a full batch is written without waiting for the interval', async () => {
    const { repository } = await counted();
    const recorder = tracker(repository, { batchSize: 2 });
    recorder.seen(principal({ deviceJkt: 'a', sessionId: undefined }), T0);
    recorder.seen(principal({ deviceJkt: 'b', sessionId: undefined }), T0);
    await recorder.flush();
    expect(await repository.listDevices('tenant-a', 'user-1')).toHaveLength(2);
  });

  it('a store error never fails the request: it is logged without the subject and counted', async () => {
    const { repository } = await counted();
    const lines: string[] = [];
    let failures = 0;
    const recorder = tracker(repository, {
      logger: { warn: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`) },
      onWriteFailed: () => {
        failures += 1;
      },
    });
    const admit = revocationGate(new RevocationList(), recorder);
    await store?.close();
    expect(() => admit(principal({ subject: 'alice@example.com' }), T0)).not.toThrow();
    await recorder.flush();
    expect(recorder.stats.failedWrites).toBeGreaterThan(0);
    expect(failures).toBe(recorder.stats.failedWrites);
    expect(lines.join('\n')).toContain('registry write failed');
    expect(lines.join('\n')).not.toContain('alice@example.com');
    // The keys are let through the throttle again, so a later request records them.
    recorder.seen(principal({ subject: 'alice@example.com' }), T0 + 1);
    expect(recorder.stats.dropped).toBe(0);
  });

  it('beyond maxPending sightings are dropped and counted, not buffered without bound', async () => {
    const { repository } = await counted();
    const recorder = tracker(repository, { maxPending: 3, batchSize: 1000 });
    for (let i = 0; i < 10; i++)
      recorder.seen(principal({ deviceJkt: `k${i}`, sessionId: undefined }), T0);
    expect(recorder.stats.dropped).toBe(7);
  });
});
