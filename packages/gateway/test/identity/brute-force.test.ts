import { expect, it } from 'vitest';
import { totpCode } from '../../src/identity/accounts/totp.js';
import { describeEachEngine } from '../store/engines.js';
import { accountsHarness, PASSWORD } from './accounts-fixture.js';
import { enrolTotp } from './totp-helpers.js';

const attacker = { ip: '198.51.100.66' };
const elsewhere = { ip: '192.0.2.10' };

describeEachEngine('brute-force protection', (fx) => {
  it('refuses the guess after the limit even with the right password, from any IP, without checking it', async () => {
    const h = await accountsHarness(fx, { accountMaxFailures: 5, accountBlockSeconds: 900 });
    await h.admin.createAccount({ username: 'victim', password: PASSWORD, roles: [] });
    for (let guess = 0; guess < 5; guess += 1) {
      expect(await h.service.verifyPassword('victim', `guess-${guess}-xx`, attacker)).toEqual({
        status: 'invalid',
      });
    }
    h.hasher.verified.length = 0;
    const sixth = await h.service.verifyPassword('victim', PASSWORD, attacker);
    expect(sixth.status).toBe('throttled');
    expect(sixth.status === 'throttled' && sixth.retryAfterSeconds).toBeGreaterThan(0);
    expect(sixth.status === 'throttled' && sixth.retryAfterSeconds).toBeLessThanOrEqual(900);
    // The account is blocked for everyone: a botnet does not get 5 guesses per address.
    expect((await h.service.verifyPassword('victim', PASSWORD, elsewhere)).status).toBe(
      'throttled',
    );
    // Nothing was checked while throttled.
    expect(h.hasher.verified).toHaveLength(0);
  });

  it('throttles an unknown username exactly like a known one (no enumeration by throttling)', async () => {
    const h = await accountsHarness(fx, { accountMaxFailures: 3 });
    await h.admin.createAccount({ username: 'known', password: PASSWORD, roles: [] });
    const outcomes = async (name: string) => {
      const seen = [];
      for (let i = 0; i < 4; i += 1) {
        seen.push((await h.service.verifyPassword(name, 'not the password', attacker)).status);
      }
      return seen;
    };
    expect(await outcomes('known')).toEqual(await outcomes('unknown'));
    expect(await outcomes('unknown2')).toEqual(['invalid', 'invalid', 'invalid', 'throttled']);
  });

  it('blocks an IP that sprays many accounts, while other IPs still log in', async () => {
    const h = await accountsHarness(fx, { ipMaxFailures: 4, accountMaxFailures: 100 });
    await h.admin.createAccount({ username: 'target', password: PASSWORD, roles: [] });
    for (let i = 0; i < 4; i += 1) {
      await h.service.verifyPassword(`user${i}`, 'Summer2026!!', attacker);
    }
    expect((await h.service.verifyPassword('target', PASSWORD, attacker)).status).toBe('throttled');
    expect((await h.service.verifyPassword('target', PASSWORD, elsewhere)).status).toBe('valid');
  });

  it('a success resets the account count', async () => {
    const h = await accountsHarness(fx, { accountMaxFailures: 3 });
    await h.admin.createAccount({ username: 'forgetful', password: PASSWORD, roles: [] });
    for (let round = 0; round < 3; round += 1) {
      await h.service.verifyPassword('forgetful', 'typo typo typo', elsewhere);
      await h.service.verifyPassword('forgetful', 'typo typo typo', elsewhere);
      expect((await h.service.verifyPassword('forgetful', PASSWORD, elsewhere)).status).toBe(
        'valid',
      );
    }
  });

  it('parallel guesses cannot all slip past the limit', async () => {
    const h = await accountsHarness(fx, { accountMaxFailures: 3 });
    await h.admin.createAccount({ username: 'racer', password: PASSWORD, roles: [] });
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h.service.verifyPassword('racer', `g${i}-guess`, attacker),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'invalid')).toHaveLength(3);
    expect(outcomes.filter((o) => o.status === 'throttled')).toHaveLength(5);
  });

  it('limits second-factor guesses per account: the right code is refused after the limit', async () => {
    const h = await accountsHarness(fx, { accountMaxFailures: 4 });
    const { account, secret } = await enrolTotp(h, 'mfa-user');
    for (let i = 0; i < 4; i += 1) {
      expect((await h.service.verifySecondFactor(account.id, '000000', attacker)).status).toBe(
        'invalid',
      );
    }
    h.clock.now += 60_000;
    const right = totpCode(secret, h.clock.now);
    expect((await h.service.verifySecondFactor(account.id, right, elsewhere)).status).toBe(
      'throttled',
    );
  });
});
