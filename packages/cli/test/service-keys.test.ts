import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, parseServiceKey, ServiceKeyRepository } from '@rampart/gateway';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { main } from '../src/main.js';

let dir: string;
let config: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-keys-'));
  config = join(dir, 'rampart.yaml');
  writeFileSync(
    config,
    [
      `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
      'auth:',
      '  serviceKeys:',
      '    enabled: true',
      '    maxLifetimeDays: 180',
      'authz:',
      '  roles:',
      '    batch:',
      '      - endpoints: [chat, models]',
      '        aliases: [demo-chat]',
      '',
    ].join('\n'),
  );
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `rampart …` in process and returns its exit code and what it wrote. */
async function rampart(...args: string[]) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
    stdout += String(text);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
    stderr += String(text);
    return true;
  });
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

async function stored() {
  const store = await openStore({ url: undefined, dataDir: join(dir, 'data') });
  try {
    return await new ServiceKeyRepository(store.db).list();
  } finally {
    await store.close();
  }
}

describe('rampart admin create-key, list-keys, revoke-key', () => {
  it('creates a key, prints it once on the last line, and stores only its hash', async () => {
    const created = await rampart(
      'admin',
      'create-key',
      '--name',
      'nightly',
      '--role',
      'batch',
      '--alias',
      'demo-chat',
      '--tenant',
      'acme',
      '--expires-in',
      '30d',
      '--config',
      config,
    );
    expect(created.code).toBe(EXIT.ok);
    const lines = created.stdout.trimEnd().split('\n');
    const key = lines.at(-1) ?? '';
    const parts = parseServiceKey(key);
    expect(parts).toBeDefined();
    const [listedKey] = await stored();
    expect(listedKey).toMatchObject({
      id: parts?.id,
      name: 'nightly',
      tenant: 'acme',
      roles: ['batch'],
      aliases: ['demo-chat'],
    });
    expect((listedKey?.expiresAt ?? 0) - (listedKey?.createdAt ?? 0)).toBe(30 * 86_400_000);
    expect(listedKey?.createdBy).toMatch(/^cli:/);

    const listed = await rampart('admin', 'list-keys', '--config', config);
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.stdout).toContain(parts?.id);
    expect(listed.stdout).toContain('active');
    expect(listed.stdout).not.toContain(parts?.secret);
    const json = await rampart('admin', 'list-keys', '--json', '--config', config);
    expect(JSON.parse(json.stdout)).toMatchObject([{ id: parts?.id, status: 'active' }]);
    expect(json.stdout).not.toContain(parts?.secret);
    expect(json.stdout).not.toContain('secretHash');
  });

  it('revokes by id, idempotently, and says so for an unknown id', async () => {
    const created = await rampart(
      'admin',
      'create-key',
      '--name',
      'n',
      '--role',
      'batch',
      '--config',
      config,
    );
    const id = parseServiceKey(created.stdout.trimEnd().split('\n').at(-1) ?? '')?.id ?? '';
    expect((await rampart('admin', 'revoke-key', id, '--config', config)).code).toBe(EXIT.ok);
    expect((await stored())[0]?.revokedAt).toBeGreaterThan(0);
    const again = await rampart('admin', 'revoke-key', id, '--config', config);
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout).toContain('already revoked');
    const unknown = await rampart('admin', 'revoke-key', 'AAAAAAAAAAAAAAAA', '--config', config);
    expect(unknown.code).toBe(EXIT.usage);
    expect((await rampart('admin', 'list-keys', '--config', config)).stdout).toContain('revoked');
  });

  it.each([
    [['--role', 'btach'], 'did you mean "batch"?'],
    [['--role', 'batch', '--alias', 'demo-chta'], 'did you mean "demo-chat"?'],
    [['--role', 'batch', '--alias', 'demo-embeddings'], 'none of the roles batch grants it'],
    [['--role', 'batch', '--expires-in', '181d'], 'maxLifetimeDays (180)'],
    [['--role', 'batch', '--expires-in', 'forever'], 'expected <n>d or <n>h'],
    [['--role', 'batch', '--expires-in', '0d'], 'expected <n>d or <n>h'],
  ])('refuses %j with a fix and creates nothing', async (args, message) => {
    const result = await rampart('admin', 'create-key', '--name', 'n', ...args, '--config', config);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toMatch(/rk_/);
    expect(await stored()).toEqual([]);
  });

  it('requires a name and a role', async () => {
    expect((await rampart('admin', 'create-key', '--role', 'batch', '--config', config)).code).toBe(
      EXIT.usage,
    );
    expect((await rampart('admin', 'create-key', '--name', 'n', '--config', config)).code).toBe(
      EXIT.usage,
    );
  });
});
