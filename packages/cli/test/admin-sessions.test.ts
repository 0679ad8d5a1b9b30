import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, SessionRepository } from '@rampart/gateway';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';

const ISSUER = 'https://issuer.example';
const T0 = 1_800_000_000_000;

/** A data dir whose store knows user-1 in tenant-a (one phone, one session) and in tenant-b. */
async function seeded(extraConfig = ''): Promise<{ config: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-cli-sessions-'));
  const config = join(dataDir, 'rampart.yaml');
  writeFileSync(config, `dataDir: ${JSON.stringify(dataDir)}\n${extraConfig}`);
  const store = await openStore({ url: undefined, dataDir });
  try {
    const repo = new SessionRepository(store.db);
    const owner = (tenant: string) => ({ tenant, issuer: ISSUER, subject: 'user-1' });
    await repo.upsertDevices([
      { ...owner('tenant-a'), jkt: 'phone-a', firstSeenAt: T0, lastSeenAt: T0 },
      { ...owner('tenant-b'), jkt: 'phone-b', firstSeenAt: T0, lastSeenAt: T0 },
    ]);
    await repo.upsertSessions([
      {
        ...owner('tenant-a'),
        sessionId: 'sid-a',
        deviceJkt: 'phone-a',
        firstSeenAt: T0,
        lastSeenAt: T0,
      },
    ]);
  } finally {
    await store.close();
  }
  return { config, dataDir };
}

async function revocations(dataDir: string) {
  const store = await openStore({ url: undefined, dataDir });
  try {
    return await new SessionRepository(store.db).allRevocations();
  } finally {
    await store.close();
  }
}

/** Runs `rampart …` in process and captures what it prints. */
async function rampart(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('rampart admin: devices and sessions on the local store', () => {
  it('list-devices shows the tenant’s devices only', async () => {
    const { config } = await seeded();
    const a = await rampart([
      'admin',
      'list-devices',
      '--subject',
      'user-1',
      '--tenant',
      'tenant-a',
      '-c',
      config,
    ]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('phone-a');
    expect(a.stdout).not.toContain('phone-b');
    const json = await rampart([
      'admin',
      'list-devices',
      '--subject',
      'user-1',
      '--tenant',
      'tenant-b',
      '-c',
      config,
      '--format',
      'json',
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      devices: [{ jkt: 'phone-b', revoked: false }],
    });
    const none = await rampart(['admin', 'list-devices', '--subject', 'user-1', '-c', config]);
    expect(none.stdout.trim()).toBe('no devices');
  });

  it('list-sessions shows sessions with their device', async () => {
    const { config } = await seeded();
    const result = await rampart([
      'admin',
      'list-sessions',
      '--subject',
      'user-1',
      '--tenant',
      'tenant-a',
      '-c',
      config,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sid-a');
    expect(result.stdout).toContain('device phone-a');
  });

  it('revoke-device stores the revocation; another tenant’s device is not found (exit 1)', async () => {
    const { config, dataDir } = await seeded();
    const foreign = await rampart([
      'admin',
      'revoke-device',
      '--subject',
      'user-1',
      '--tenant',
      'tenant-a',
      '--jkt',
      'phone-b',
      '-c',
      config,
    ]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('no such device');
    const done = await rampart([
      'admin',
      'revoke-device',
      '--subject',
      'user-1',
      '--tenant',
      'tenant-a',
      '--jkt',
      'phone-a',
      '-c',
      config,
    ]);
    expect(done.code).toBe(0);
    expect(await revocations(dataDir)).toEqual([
      expect.objectContaining({
        kind: 'device',
        tenant: 'tenant-a',
        subject: 'user-1',
        target: 'phone-a',
      }),
    ]);
    const listed = await rampart([
      'admin',
      'list-devices',
      '--subject',
      'user-1',
      '--tenant',
      'tenant-a',
      '-c',
      config,
    ]);
    expect(listed.stdout).toContain('revoked');
  });

  it('revoke-session and revoke-subject', async () => {
    const { config, dataDir } = await seeded();
    expect(
      (
        await rampart([
          'admin',
          'revoke-session',
          '--subject',
          'user-1',
          '--tenant',
          'tenant-a',
          '--session',
          'sid-a',
          '-c',
          config,
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await rampart([
          'admin',
          'revoke-subject',
          '--subject',
          'user-1',
          '--tenant',
          'tenant-b',
          '-c',
          config,
        ])
      ).code,
    ).toBe(0);
    const unseen = await rampart(['admin', 'revoke-subject', '--subject', 'nobody', '-c', config]);
    expect(unseen.code).toBe(1);
    expect(unseen.stderr).toContain('--issuer');
    // With --issuer, a user the gateway has not seen yet can be revoked ahead of time.
    expect(
      (
        await rampart([
          'admin',
          'revoke-subject',
          '--subject',
          'nobody',
          '--issuer',
          ISSUER,
          '-c',
          config,
        ])
      ).code,
    ).toBe(0);
    const kinds = (await revocations(dataDir)).map(
      (r) => `${r.kind}:${r.tenant}:${r.subject}:${r.target}`,
    );
    expect(kinds.sort()).toEqual([
      'session:tenant-a:user-1:sid-a',
      'subject::nobody:',
      'subject:tenant-b:user-1:',
    ]);
  });

  it('a missing --subject is a usage error (exit 2)', async () => {
    const result = await rampart(['admin', 'list-devices']);
    expect(result.code).toBe(2);
  });
});

const redisUrl = process.env['RAMPART_TEST_REDIS_URL'];
if (redisUrl === undefined && process.env['CI'] === 'true') {
  throw new Error('RAMPART_TEST_REDIS_URL is unset but CI=true: the Redis tests must run in CI.');
}

describe.skipIf(redisUrl === undefined)('rampart admin with redis.url configured', () => {
  it('a revocation is published to running gateways', async () => {
    const prefix = `rampart-test-cli-${process.pid}-${Date.now()}:`;
    const { config } = await seeded(
      `redis:\n  url: ${JSON.stringify(redisUrl)}\n  keyPrefix: ${JSON.stringify(prefix)}\n`,
    );
    const subscriber = new Redis(redisUrl ?? '');
    try {
      const received = new Promise<string>((resolve) =>
        subscriber.on('message', (_channel, text: string) => resolve(text)),
      );
      await subscriber.subscribe(`${prefix}revocations`);
      const result = await rampart([
        'admin',
        'revoke-device',
        '--subject',
        'user-1',
        '--tenant',
        'tenant-a',
        '--jkt',
        'phone-a',
        '-c',
        config,
      ]);
      expect(result.code).toBe(0);
      expect(JSON.parse(await received)).toMatchObject({
        kind: 'device',
        tenant: 'tenant-a',
        target: 'phone-a',
      });
    } finally {
      subscriber.disconnect();
    }
  });
});
