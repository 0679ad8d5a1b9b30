import { expect, it } from 'vitest';
import {
  KyselyAdapter,
  revokeGrant,
  sweepExpiredPayloads,
} from '../../src/identity/provider/index.js';
import { describeEachEngine } from '../store/engines.js';

describeEachEngine('oidc-provider store adapter', (fixture) => {
  /** A store and a frozen clock (epoch ms) the test moves by hand. */
  async function setup() {
    const store = await fixture.open(fixture.fresh());
    const clock = { now: 1_800_000_000_000 };
    const adapter = (model: string) => new KyselyAdapter(model, store.db, () => clock.now);
    return { store, clock, adapter };
  }

  it('stores, replaces and finds a payload by id, uid and user code', async () => {
    const { adapter } = await setup();
    const interactions = adapter('Interaction');
    await interactions.upsert('i-1', { uid: 'u-1', kind: 'Interaction', jti: 'i-1' }, 600);
    expect(await interactions.find('i-1')).toMatchObject({ uid: 'u-1' });
    expect(await interactions.findByUid('u-1')).toMatchObject({ jti: 'i-1' });
    await interactions.upsert(
      'i-1',
      { uid: 'u-1', kind: 'Interaction', jti: 'i-1', returnTo: '/x' },
      600,
    );
    expect(await interactions.find('i-1')).toMatchObject({ returnTo: '/x' });
    const devices = adapter('DeviceCode');
    await devices.upsert('d-1', { userCode: 'ABCD-EFGH', kind: 'DeviceCode' }, 600);
    expect(await devices.findByUserCode('ABCD-EFGH')).toMatchObject({ kind: 'DeviceCode' });
    expect(await devices.findByUserCode('nope')).toBeUndefined();
  });

  it('keeps models apart: the same id under two models is two rows', async () => {
    const { adapter } = await setup();
    await adapter('AccessToken').upsert('same', { kind: 'AccessToken' }, 60);
    await adapter('RefreshToken').upsert('same', { kind: 'RefreshToken' }, 60);
    expect(await adapter('AccessToken').find('same')).toMatchObject({ kind: 'AccessToken' });
    await adapter('AccessToken').destroy('same');
    expect(await adapter('AccessToken').find('same')).toBeUndefined();
    expect(await adapter('RefreshToken').find('same')).toMatchObject({ kind: 'RefreshToken' });
  });

  it('never returns an expired payload, and deletes it when met', async () => {
    const { adapter, clock, store } = await setup();
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c-1', { kind: 'AuthorizationCode', grantId: 'g-1' }, 60);
    clock.now += 59_999;
    expect(await codes.find('c-1')).toBeDefined();
    clock.now += 1;
    expect(await codes.find('c-1')).toBeUndefined();
    const rows = await store.db.selectFrom('oidc_payloads').selectAll().execute();
    expect(rows).toHaveLength(0);
  });

  it('consume marks a payload spent (consumed, in seconds) without deleting it', async () => {
    const { adapter, clock } = await setup();
    const tokens = adapter('RefreshToken');
    await tokens.upsert('r-1', { kind: 'RefreshToken', grantId: 'g-1' }, 3600);
    expect((await tokens.find('r-1'))?.consumed).toBeUndefined();
    await tokens.consume('r-1');
    expect((await tokens.find('r-1'))?.consumed).toBe(Math.floor(clock.now / 1000));
  });

  it('revokeByGrantId deletes only that model under that grant', async () => {
    const { adapter } = await setup();
    const tokens = adapter('RefreshToken');
    await tokens.upsert('r-1', { kind: 'RefreshToken', grantId: 'g-1' }, 3600);
    await tokens.upsert('r-2', { kind: 'RefreshToken', grantId: 'g-2' }, 3600);
    await adapter('AccessToken').upsert('a-1', { kind: 'AccessToken', grantId: 'g-1' }, 3600);
    await tokens.revokeByGrantId('g-1');
    expect(await tokens.find('r-1')).toBeUndefined();
    expect(await tokens.find('r-2')).toBeDefined();
    expect(await adapter('AccessToken').find('a-1')).toBeDefined();
  });

  it('revokeGrant (the session-revocation hook) deletes the grant and all it issued', async () => {
    const { adapter, store } = await setup();
    await adapter('Grant').upsert('g-1', { kind: 'Grant', accountId: 'acct' }, 3600);
    await adapter('RefreshToken').upsert('r-1', { kind: 'RefreshToken', grantId: 'g-1' }, 3600);
    await adapter('AccessToken').upsert('a-1', { kind: 'AccessToken', grantId: 'g-1' }, 3600);
    await adapter('RefreshToken').upsert('r-2', { kind: 'RefreshToken', grantId: 'g-2' }, 3600);
    expect(await revokeGrant(store.db, 'g-1')).toBe(true);
    expect(await adapter('Grant').find('g-1')).toBeUndefined();
    expect(await adapter('RefreshToken').find('r-1')).toBeUndefined();
    expect(await adapter('AccessToken').find('a-1')).toBeUndefined();
    expect(await adapter('RefreshToken').find('r-2')).toBeDefined();
    expect(await revokeGrant(store.db, 'g-1')).toBe(false);
  });

  it('the sweep deletes every expired row and keeps the rest', async () => {
    const { adapter, clock, store } = await setup();
    await adapter('Session').upsert('s-1', { kind: 'Session' }, 10);
    await adapter('Session').upsert('s-2', { kind: 'Session' }, 1000);
    await adapter('Client').upsert('c-1', { kind: 'Client' });
    expect(await sweepExpiredPayloads(store.db, clock.now + 10_000)).toBe(1);
    const ids = (await store.db.selectFrom('oidc_payloads').select('id').execute()).map(
      (row) => row.id,
    );
    expect(ids.sort()).toEqual(['c-1', 's-2']);
  });

  it('a payload with hostile strings round-trips exactly', async () => {
    const { adapter } = await setup();
    const payload = {
      kind: 'Session',
      accountId: "x'); drop table oidc_payloads; --",
      extra: { nested: '\u0000\u2028' },
    };
    await adapter('Session').upsert('id\'"', payload, 60);
    expect(await adapter('Session').find('id\'"')).toEqual(payload);
  });
});
