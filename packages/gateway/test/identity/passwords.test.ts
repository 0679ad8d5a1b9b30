import { expect, it } from 'vitest';
import { isRampartError } from '@rampart/core';
import { describeEachEngine } from '../store/engines.js';
import { createAccountService } from '../../src/identity/accounts/index.js';
import { accountsHarness, PASSWORD, PUBLIC_URL } from './accounts-fixture.js';

const from = { ip: '203.0.113.7' };

describeEachEngine('account passwords', (fx) => {
  it('do exactly one argon2 verification for an unknown user, a wrong and a right password', async () => {
    const h = await accountsHarness(fx);
    await h.admin.createAccount({ username: 'alice', password: PASSWORD, roles: ['user'] });
    const rows = await h.store.db.selectFrom('accounts').select('password_hash').execute();
    const aliceHash = rows[0]?.password_hash;

    h.hasher.verified.length = 0;
    expect(await h.service.verifyPassword('mallory', PASSWORD, from)).toEqual({
      status: 'invalid',
    });
    expect(h.hasher.verified).toHaveLength(1);
    const dummy = h.hasher.verified[0];
    // The dummy has the same argon2id parameters as a real hash, so the work is the same.
    expect(dummy?.split('$').slice(0, 4)).toEqual(aliceHash?.split('$').slice(0, 4));

    h.hasher.verified.length = 0;
    expect(await h.service.verifyPassword('alice', 'wrong password!', from)).toEqual({
      status: 'invalid',
    });
    expect(h.hasher.verified).toEqual([aliceHash]);

    h.hasher.verified.length = 0;
    const ok = await h.service.verifyPassword('alice', PASSWORD, from);
    expect(ok.status === 'valid' && ok.amr).toEqual(['pwd']);
    expect(h.hasher.verified).toEqual([aliceHash]);

    // The dummy is computed once, not per call.
    h.hasher.verified.length = 0;
    await h.service.verifyPassword('nobody', PASSWORD, from);
    expect(h.hasher.verified).toEqual([dummy]);
  });

  it('stores argon2id with the OWASP parameters, a random id and no clear password', async () => {
    const h = await accountsHarness(fx);
    const created = await h.admin.createAccount({
      username: 'Bob',
      password: PASSWORD,
      roles: ['user'],
    });
    const row = await h.store.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.id).toBe(created.id);
    expect(row.id).not.toContain('bob');
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
  });

  it('rehash a password at login once the argon2 parameters were raised', async () => {
    const h = await accountsHarness(fx);
    await h.admin.createAccount({ username: 'old', password: PASSWORD, roles: [] });
    const stronger = { ...h.config, argon2: { ...h.config.argon2, timeCost: 3 } };
    const service = createAccountService({
      db: h.store.db,
      keyring: h.keyring,
      config: stronger,
      publicUrl: PUBLIC_URL,
    });
    expect((await service.verifyPassword('old', PASSWORD, from)).status).toBe('valid');
    const row = await h.store.db.selectFrom('accounts').select('password_hash').executeTakeFirst();
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
    expect((await h.service.verifyPassword('old', PASSWORD, from)).status).toBe('valid');
  });

  it('match usernames after NFKC and case folding, and refuse a look-alike twin', async () => {
    const h = await accountsHarness(fx);
    await h.admin.createAccount({ username: 'Alice', password: PASSWORD, roles: [] });
    // Full-width letters are NFKC-equivalent to ASCII ones.
    const wide = '\uFF21\uFF2C\uFF29\uFF23\uFF25';
    expect((await h.service.verifyPassword(wide, PASSWORD, from)).status).toBe('valid');
    expect((await h.service.verifyPassword('ALICE', PASSWORD, from)).status).toBe('valid');
    const twin = await h.admin
      .createAccount({ username: 'aLiCe', password: PASSWORD, roles: [] })
      .catch((error: unknown) => error);
    expect(isRampartError(twin) && twin.code).toBe('account.username_taken');
  });

  it('answer invalid for a disabled account, even with the right password', async () => {
    const h = await accountsHarness(fx);
    await h.admin.createAccount({ username: 'carol', password: PASSWORD, roles: [] });
    expect(await h.admin.setDisabled('carol', true)).toBe(true);
    h.hasher.verified.length = 0;
    expect(await h.service.verifyPassword('carol', PASSWORD, from)).toEqual({ status: 'invalid' });
    expect(h.hasher.verified).toHaveLength(1);
  });

  it('refuse over-long and empty passwords before hashing, whatever the account', async () => {
    const h = await accountsHarness(fx);
    await h.admin.createAccount({ username: 'dave', password: PASSWORD, roles: [] });
    h.hasher.verified.length = 0;
    for (const [user, password] of [
      ['dave', 'x'.repeat(1025)],
      ['nobody', 'x'.repeat(1025)],
      ['dave', '€'.repeat(342)], // 1026 bytes in UTF-8, 342 characters
      ['dave', ''],
    ] as const) {
      expect(await h.service.verifyPassword(user, password, from)).toEqual({ status: 'invalid' });
    }
    expect(h.hasher.verified).toHaveLength(0);
  });

  it('refuse weak passwords and malformed names when an account is created', async () => {
    const h = await accountsHarness(fx);
    const codes = [];
    for (const input of [
      { username: 'erin', password: 'tiny1', roles: [] },
      { username: 'erin', password: 'password1234', roles: [] },
      { username: 'erin', password: 'erin', roles: [] },
      { username: 'with space', password: PASSWORD, roles: [] },
      { username: 'x'.repeat(65), password: PASSWORD, roles: [] },
      { username: 'erin', password: PASSWORD, roles: ['Admin; drop table'] },
      { username: 'erin', password: PASSWORD, roles: [], tenant: '../other' },
    ]) {
      const failure = await h.admin.createAccount(input).catch((error: unknown) => error);
      codes.push(isRampartError(failure) ? failure.code : 'accepted');
      expect((failure as Error).message).not.toContain(input.password);
    }
    expect(codes).toEqual([
      'account.password_rejected',
      'account.password_rejected',
      'account.password_rejected',
      'account.invalid',
      'account.invalid',
      'account.invalid',
      'account.invalid',
    ]);
    expect(await h.admin.listAccounts()).toEqual([]);
  });

  it('an admin must enrol TOTP at first login; a plain user need not', async () => {
    const h = await accountsHarness(fx);
    const admin = await h.admin.createAccount({
      username: 'root',
      password: PASSWORD,
      roles: ['admin'],
      tenant: 'acme',
    });
    const user = await h.admin.createAccount({
      username: 'u',
      password: PASSWORD,
      roles: ['user'],
    });
    expect(admin).toMatchObject({ mustEnrollTotp: true, tenant: 'acme', roles: ['admin'] });
    expect(user).toMatchObject({ mustEnrollTotp: false, tenant: undefined, totpEnrolled: false });
    const found = await h.service.findAccount(admin.id);
    expect(found).toEqual({
      id: admin.id,
      username: 'root',
      tenant: 'acme',
      roles: ['admin'],
      totpEnrolled: false,
      passkeys: 0,
      mustEnrollTotp: true,
    });
    expect(await h.service.findAccount('acct_missing')).toBeUndefined();
  });
});
