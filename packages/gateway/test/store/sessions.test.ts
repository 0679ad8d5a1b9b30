import { expect, it } from 'vitest';
import { SessionRepository } from '../../src/identity/sessions/index.js';
import { describeEachEngine } from './engines.js';

const T0 = 1_800_000_000_000;
const owner = { tenant: 'tenant-a', issuer: 'https://issuer.example', subject: 'user-1' };

describeEachEngine('devices and sessions registry (0005_devices_sessions)', (engine) => {
  async function repository() {
    const store = await engine.open(engine.fresh());
    return new SessionRepository(store.db);
  }

  it('a device is inserted once and its last sighting moves; first sighting stays', async () => {
    const repo = await repository();
    await repo.upsertDevices([{ ...owner, jkt: 'jkt-1', firstSeenAt: T0, lastSeenAt: T0 }]);
    await repo.upsertDevices([
      { ...owner, jkt: 'jkt-1', firstSeenAt: T0 + 60_000, lastSeenAt: T0 + 60_000 },
      { ...owner, jkt: 'jkt-2', firstSeenAt: T0 + 1, lastSeenAt: T0 + 1 },
    ]);
    const devices = await repo.listDevices('tenant-a', 'user-1');
    expect(devices).toEqual([
      { ...owner, jkt: 'jkt-1', firstSeenAt: T0, lastSeenAt: T0 + 60_000, attestationState: null },
      { ...owner, jkt: 'jkt-2', firstSeenAt: T0 + 1, lastSeenAt: T0 + 1, attestationState: null },
    ]);
  });

  it('a session records its device; lists are confined to a tenant and an issuer', async () => {
    const repo = await repository();
    await repo.upsertSessions([
      { ...owner, sessionId: 's-1', deviceJkt: 'jkt-1', firstSeenAt: T0, lastSeenAt: T0 },
      {
        ...owner,
        tenant: 'tenant-b',
        sessionId: 's-2',
        deviceJkt: null,
        firstSeenAt: T0,
        lastSeenAt: T0,
      },
      {
        ...owner,
        issuer: 'https://other.example',
        sessionId: 's-3',
        deviceJkt: null,
        firstSeenAt: T0,
        lastSeenAt: T0,
      },
    ]);
    await repo.upsertSessions([
      { ...owner, sessionId: 's-1', deviceJkt: 'jkt-9', firstSeenAt: T0 + 5, lastSeenAt: T0 + 5 },
    ]);
    const inA = await repo.listSessions('tenant-a', 'user-1');
    expect(inA.map((s) => s.sessionId).sort()).toEqual(['s-1', 's-3']);
    expect(inA.find((s) => s.sessionId === 's-1')).toMatchObject({
      deviceJkt: 'jkt-9',
      firstSeenAt: T0,
      lastSeenAt: T0 + 5,
    });
    expect(await repo.listSessions('tenant-a', 'user-1', 'https://other.example')).toHaveLength(1);
    expect(await repo.listSessions('tenant-b', 'user-1')).toHaveLength(1);
    expect(await repo.listDevices('tenant-c', 'user-1')).toEqual([]);
  });

  it('revocations persist; revoking a subject again moves its cut-off', async () => {
    const repo = await repository();
    await repo.addRevocation({ kind: 'device', ...owner, target: 'jkt-1', revokedAt: T0 });
    await repo.addRevocation({ kind: 'subject', ...owner, target: '', revokedAt: T0 });
    await repo.addRevocation({ kind: 'subject', ...owner, target: '', revokedAt: T0 + 10 });
    const all = await repo.allRevocations();
    expect(all).toHaveLength(2);
    expect(all).toContainEqual({ kind: 'subject', ...owner, target: '', revokedAt: T0 + 10 });
    expect(all).toContainEqual({ kind: 'device', ...owner, target: 'jkt-1', revokedAt: T0 });
  });

  it('empty batches write nothing', async () => {
    const repo = await repository();
    await repo.upsertDevices([]);
    await repo.upsertSessions([]);
    expect(await repo.allRevocations()).toEqual([]);
  });
});
