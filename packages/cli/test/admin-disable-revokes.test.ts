import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openStore, SessionRepository } from '@rampart/gateway';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { main } from '../src/main.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('rampart admin disable-user on the local store', () => {
  it("revokes the account's tokens and deletes its grants, so a refresh token cannot outlive the account", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-disable-'));
    const config = join(dir, 'rampart.yaml');
    writeFileSync(config, `dataDir: ${JSON.stringify(join(dir, 'data'))}\n`);
    const passwordFile = join(dir, 'pw');
    writeFileSync(passwordFile, 'a long and unusual passphrase\n', { mode: 0o600 });
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      stdout += String(text);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const created = await main([
      'admin',
      'create-user',
      '--username',
      'cat',
      '--tenant',
      'acme',
      '--password-file',
      passwordFile,
      '-c',
      config,
    ]);
    expect(created).toBe(EXIT.ok);
    const id = /\((acct_\w+)\)/.exec(stdout)?.[1] ?? '';

    // A login of the embedded provider: its grant and a refresh token issued under it.
    const dataDir = join(dir, 'data');
    let store = await openStore({ url: undefined, dataDir });
    const row = { uid: null, user_code: null, expires_at: null, consumed_at: null };
    await store.db
      .insertInto('oidc_payloads')
      .values([
        {
          ...row,
          model: 'Grant',
          id: 'grant-1',
          payload: JSON.stringify({ accountId: id }),
          grant_id: null,
        },
        { ...row, model: 'RefreshToken', id: 'rt-1', payload: '{}', grant_id: 'grant-1' },
        {
          ...row,
          model: 'Grant',
          id: 'grant-other',
          payload: JSON.stringify({ accountId: 'acct_other' }),
          grant_id: null,
        },
      ])
      .execute();
    await store.close();

    expect(await main(['admin', 'disable-user', '--username', 'cat', '-c', config])).toBe(EXIT.ok);
    expect(stdout).toContain('its tokens and refresh tokens are revoked');

    store = await openStore({ url: undefined, dataDir });
    try {
      const left = await store.db.selectFrom('oidc_payloads').select('id').orderBy('id').execute();
      expect(left.map((r) => r.id)).toEqual(['grant-other']);
      const issuer = loadConfig({ file: config, env: {} }).server.publicUrl;
      const revocations = await new SessionRepository(store.db).allRevocations();
      expect(revocations).toMatchObject([{ kind: 'subject', tenant: 'acme', issuer, subject: id }]);
    } finally {
      await store.close();
    }
  });
});
