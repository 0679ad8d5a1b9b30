import { expect, it } from 'vitest';
import {
  hashServiceKeySecret,
  parseServiceKey,
  ServiceKeyRepository,
  type NewServiceKey,
} from '../../src/identity/service-keys/index.js';
import { describeEachEngine } from './engines.js';

const T0 = 1_800_000_000_000;
const input = (overrides: Partial<NewServiceKey> = {}): NewServiceKey => ({
  name: 'nightly batch',
  tenant: 'tenant-a',
  roles: ['batch', 'reader'],
  aliases: ['chat'],
  createdAt: T0,
  expiresAt: T0 + 90 * 86_400_000,
  createdBy: 'cli:ops',
  ...overrides,
});

describeEachEngine('service keys', (engine) => {
  it('stores a key by id with the hash of its secret, never the secret', async () => {
    const settings = engine.fresh();
    const store = await engine.open(settings);
    const keys = new ServiceKeyRepository(store.db);
    const { key, serviceKey } = await keys.create(input());
    const parts = parseServiceKey(key);
    expect(parts?.id).toBe(serviceKey.id);
    const found = await keys.find(serviceKey.id);
    expect(found).toEqual({
      ...serviceKey,
      secretHash: hashServiceKeySecret(serviceKey.id, parts?.secret ?? ''),
    });
    expect(found).toMatchObject({
      tenant: 'tenant-a',
      roles: ['batch', 'reader'],
      aliases: ['chat'],
      expiresAt: T0 + 90 * 86_400_000,
      revokedAt: undefined,
      lastUsedAt: undefined,
    });
    const rows = await engine.exec(settings, 'select * from service_keys');
    expect(JSON.stringify(rows)).not.toContain(parts?.secret);
  });

  it('lists keys without hashes, by tenant when asked, and a key without aliases as all', async () => {
    const store = await engine.open(engine.fresh());
    const keys = new ServiceKeyRepository(store.db);
    await keys.create(input());
    await keys.create(input({ tenant: 'tenant-b', aliases: undefined, createdAt: T0 + 1 }));
    await keys.create(input({ tenant: undefined, createdAt: T0 + 2 }));
    const all = await keys.list();
    expect(all.map((k) => k.tenant)).toEqual([undefined, 'tenant-b', 'tenant-a']);
    expect(all[1]?.aliases).toBeUndefined();
    expect(JSON.stringify(all)).not.toContain('secretHash');
    expect((await keys.list({ tenant: 'tenant-b' })).map((k) => k.tenant)).toEqual(['tenant-b']);
  });

  it('revokes once, keeps the first revocation time, and records use', async () => {
    const store = await engine.open(engine.fresh());
    const keys = new ServiceKeyRepository(store.db);
    const { serviceKey } = await keys.create(input());
    expect(await keys.revoke(serviceKey.id, T0 + 5)).toBe('revoked');
    expect(await keys.revoke(serviceKey.id, T0 + 9)).toBe('already_revoked');
    expect(await keys.revoke('AAAAAAAAAAAAAAAA', T0)).toBe('unknown');
    await keys.touch(serviceKey.id, T0 + 7);
    expect(await keys.find(serviceKey.id)).toMatchObject({ revokedAt: T0 + 5, lastUsedAt: T0 + 7 });
  });
});
