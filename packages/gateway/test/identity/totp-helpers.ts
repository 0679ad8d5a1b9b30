import { expect } from 'vitest';
import type { AccountView } from '../../src/identity/accounts/index.js';
import { totpCode } from '../../src/identity/accounts/totp.js';
import { PASSWORD, type AccountsHarness } from './accounts-fixture.js';

/** Creates an account and enrols TOTP; returns the secret and the recovery codes. */
export async function enrolTotp(h: AccountsHarness, username: string) {
  const created = await h.admin.createAccount({ username, password: PASSWORD, roles: ['admin'] });
  const { secret } = await h.service.beginTotpEnrolment(created.id);
  const codes = await h.service.confirmTotpEnrolment(created.id, totpCode(secret, h.clock.now));
  expect(codes).toHaveLength(10);
  const account = (await h.service.findAccount(created.id)) as AccountView;
  return { account, secret, recoveryCodes: codes as readonly string[] };
}
