import { decodeProtectedHeader } from 'jose';
import { expect, it } from 'vitest';
import { isRampartError } from '@rampart/core';
import { totpCode } from '../../src/identity/accounts/totp.js';
import { describeEachEngine } from '../store/engines.js';
import { accountsHarness, PASSWORD } from './accounts-fixture.js';
import { enrolTotp } from './totp-helpers.js';

const from = { ip: '203.0.113.7' };

describeEachEngine('TOTP and recovery codes', (fx) => {
  it('enrols with an authenticator-app URI and clears mustEnrollTotp on confirmation', async () => {
    const h = await accountsHarness(fx);
    const root = await h.admin.createAccount({
      username: 'root',
      password: PASSWORD,
      roles: ['admin'],
    });
    const { uri, secret } = await h.service.beginTotpEnrolment(root.id);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, base32
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Rampart:root');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      secret,
      issuer: 'Rampart',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    expect(await h.service.confirmTotpEnrolment(root.id, '000000')).toBeUndefined();
    const codes = await h.service.confirmTotpEnrolment(root.id, totpCode(secret, h.clock.now));
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes ?? []) expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(await h.service.findAccount(root.id)).toMatchObject({
      totpEnrolled: true,
      mustEnrollTotp: false,
    });
  });

  it('keeps the secret sealed under data-kek, bound to its account, readable after rotation', async () => {
    const h = await accountsHarness(fx);
    const { account, secret } = await enrolTotp(h, 'sealed');
    const row = await h.store.db
      .selectFrom('accounts')
      .select(['totp_secret'])
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    const sealed = row.totp_secret as string;
    expect(sealed).not.toContain(secret);
    expect(decodeProtectedHeader(sealed)).toMatchObject({
      alg: 'A256KW',
      enc: 'A256GCM',
      kid: h.keyring.current('data-kek').kid,
      acct: account.id,
    });
    const codes = await h.store.db.selectFrom('recovery_codes').selectAll().execute();
    expect(codes).toHaveLength(10);

    await h.keyring.rotate('data-kek');
    h.clock.now += 30_000;
    expect(
      (await h.service.verifySecondFactor(account.id, totpCode(secret, h.clock.now), from)).status,
    ).toBe('valid');
  });

  it('a sealed secret copied onto another account row is an unusable factor: a clean refusal, logged without the secret', async () => {
    const h = await accountsHarness(fx);
    const { account, secret } = await enrolTotp(h, 'victim');
    const other = await h.admin.createAccount({ username: 'other', password: PASSWORD, roles: [] });
    const { totp_secret: sealed } = await h.store.db
      .selectFrom('accounts')
      .select(['totp_secret'])
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    // The row's own header names another account; a header rewritten to name this row breaks
    // the AEAD (the protected header is its additional data): both must be refused, not thrown.
    const [header = '', ...rest] = (sealed as string).split('.');
    const claims = JSON.parse(Buffer.from(header, 'base64url').toString()) as object;
    const rebound = [
      Buffer.from(JSON.stringify({ ...claims, acct: other.id })).toString('base64url'),
      ...rest,
    ].join('.');
    for (const copied of [sealed as string, rebound, 'not-a-jwe']) {
      await h.store.db
        .updateTable('accounts')
        .set({ totp_secret: copied })
        .where('id', '=', other.id)
        .execute();
      h.clock.now += 30_000;
      const result = await h.service.verifySecondFactor(
        other.id,
        totpCode(secret, h.clock.now),
        from,
      );
      expect(result.status).toBe('invalid');
    }
    expect(h.warnings).toHaveLength(3);
    for (const warning of h.warnings) {
      expect(warning.fields).toMatchObject({ account: other.id });
      const logged = JSON.stringify(warning);
      expect(logged).not.toContain(secret);
      expect(logged).not.toContain(sealed as string);
    }
    // The owner's factor still works.
    h.clock.now += 30_000;
    expect(
      (await h.service.verifySecondFactor(account.id, totpCode(secret, h.clock.now), from)).status,
    ).toBe('valid');
  });

  it('accepts a code one step early or late, not two', async () => {
    const h = await accountsHarness(fx);
    const { account, secret } = await enrolTotp(h, 'drift');
    const check = (offsetSteps: number) => {
      h.clock.now += 120_000; // a fresh step each time, so replay protection is not what refuses
      return h.service.verifySecondFactor(
        account.id,
        totpCode(secret, h.clock.now + offsetSteps * 30_000),
        from,
      );
    };
    expect((await check(-1)).status).toBe('valid');
    expect((await check(1)).status).toBe('valid');
    expect((await check(-2)).status).toBe('invalid');
    expect((await check(2)).status).toBe('invalid');
  });

  it('accepts a code once: a replay within its window is refused', async () => {
    const h = await accountsHarness(fx);
    const { account, secret } = await enrolTotp(h, 'replay');
    h.clock.now += 30_000;
    const code = totpCode(secret, h.clock.now);
    const first = await h.service.verifySecondFactor(account.id, code, from);
    expect(first.status === 'valid' && first.amr).toEqual(['otp']);
    expect((await h.service.verifySecondFactor(account.id, code, from)).status).toBe('invalid');
    // An older code still inside the ±1 window is refused too: steps only move forward.
    const older = totpCode(secret, h.clock.now - 30_000);
    expect((await h.service.verifySecondFactor(account.id, older, from)).status).toBe('invalid');
    // The enrolment code itself was remembered as used.
  });

  it('the confirmation code cannot be replayed as the first login code', async () => {
    const h = await accountsHarness(fx);
    const created = await h.admin.createAccount({ username: 'eve', password: PASSWORD, roles: [] });
    const { secret } = await h.service.beginTotpEnrolment(created.id);
    const code = totpCode(secret, h.clock.now);
    await h.service.confirmTotpEnrolment(created.id, code);
    expect((await h.service.verifySecondFactor(created.id, code, from)).status).toBe('invalid');
  });

  it('two logins racing with the same code: exactly one wins', async () => {
    const h = await accountsHarness(fx);
    const { account, secret } = await enrolTotp(h, 'race');
    h.clock.now += 30_000;
    const code = totpCode(secret, h.clock.now);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => h.service.verifySecondFactor(account.id, code, from)),
    );
    expect(outcomes.filter((o) => o.status === 'valid')).toHaveLength(1);
  });

  it('spends each recovery code once, stores only hashes, and counts what is left', async () => {
    const h = await accountsHarness(fx);
    const { account, recoveryCodes } = await enrolTotp(h, 'recover');
    const stored = await h.store.db.selectFrom('recovery_codes').select('code_hash').execute();
    const plain = recoveryCodes.map((c) => c.replaceAll('-', ''));
    for (const row of stored) {
      for (const code of plain) expect(row.code_hash).not.toContain(code);
    }
    const [first, second] = recoveryCodes as [string, string];
    const used = await h.service.verifySecondFactor(account.id, first, from);
    expect(used).toMatchObject({ status: 'valid', amr: ['otp'], recoveryCodesLeft: 9 });
    expect((await h.service.verifySecondFactor(account.id, first, from)).status).toBe('invalid');
    // Typed loosely: lower case, spaces instead of hyphens.
    const loose = second.toLowerCase().replaceAll('-', ' ');
    expect(await h.service.verifySecondFactor(account.id, loose, from)).toMatchObject({
      status: 'valid',
      recoveryCodesLeft: 8,
    });
    expect(
      (await h.service.verifySecondFactor(account.id, 'AAAA-BBBB-CCCC-DDDD', from)).status,
    ).toBe('invalid');
  });

  it('never replaces a confirmed secret through enrolment, and refuses unknown accounts', async () => {
    const h = await accountsHarness(fx);
    const { account } = await enrolTotp(h, 'stable');
    const again = await h.service.beginTotpEnrolment(account.id).catch((e: unknown) => e);
    expect(isRampartError(again) && again.code).toBe('account.totp_already_enrolled');
    const missing = await h.service.beginTotpEnrolment('acct_nope').catch((e: unknown) => e);
    expect(isRampartError(missing) && missing.code).toBe('account.unavailable');
    expect(await h.service.verifySecondFactor('acct_nope', '123456', from)).toEqual({
      status: 'invalid',
    });
  });

  it('refuses a second factor for an account without TOTP and for a disabled one', async () => {
    const h = await accountsHarness(fx);
    const plain = await h.admin.createAccount({ username: 'plain', password: PASSWORD, roles: [] });
    expect((await h.service.verifySecondFactor(plain.id, '123456', from)).status).toBe('invalid');
    const { account, secret } = await enrolTotp(h, 'gone');
    await h.admin.setDisabled('gone', true);
    h.clock.now += 30_000;
    expect(
      (await h.service.verifySecondFactor(account.id, totpCode(secret, h.clock.now), from)).status,
    ).toBe('invalid');
  });
});
