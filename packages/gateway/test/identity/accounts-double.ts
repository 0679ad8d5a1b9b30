import type {
  AccountService,
  AccountView,
  CredentialOutcome,
  TotpEnrolment,
  WebAuthnOptionsJson,
} from '../../src/identity/accounts/service.js';

/**
 * TEST DOUBLE of the accounts contract (identity/accounts/service.ts), for the provider's
 * tests only: plain in-memory accounts, a fixed TOTP code, a fixed attempt budget. The real
 * service (argon2id, RFC 6238, WebAuthn) lives in identity/accounts and is wired at start-up.
 */
export interface DoubleAccount {
  id: string;
  username: string;
  password: string;
  roles: string[];
  tenant?: string;
  /** The TOTP code this account accepts when enrolled (the double has no clock). */
  totpCode?: string;
  recoveryCodes?: string[];
  passkeys?: number;
  mustEnrollTotp?: boolean;
}

export class AccountsDouble implements AccountService {
  readonly accounts = new Map<string, DoubleAccount>();
  /** Failed attempts before the double answers `throttled`. */
  attemptBudget = 5;
  readonly failures = new Map<string, number>();
  readonly calls: string[] = [];

  add(account: DoubleAccount): this {
    this.accounts.set(account.id, account);
    return this;
  }

  #view(account: DoubleAccount): AccountView {
    return {
      id: account.id,
      username: account.username,
      tenant: account.tenant,
      roles: account.roles,
      totpEnrolled: account.totpCode !== undefined,
      passkeys: account.passkeys ?? 0,
      mustEnrollTotp: account.mustEnrollTotp ?? false,
    };
  }

  #throttled(key: string): CredentialOutcome | undefined {
    return (this.failures.get(key) ?? 0) >= this.attemptBudget
      ? { status: 'throttled', retryAfterSeconds: 60 }
      : undefined;
  }

  #fail(key: string): CredentialOutcome {
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    return { status: 'invalid' };
  }

  verifyPassword(username: string, password: string): Promise<CredentialOutcome> {
    this.calls.push('verifyPassword');
    const throttled = this.#throttled(username);
    if (throttled) return Promise.resolve(throttled);
    const account = [...this.accounts.values()].find((entry) => entry.username === username);
    if (account === undefined || account.password !== password || (account.passkeys ?? 0) > 0) {
      return Promise.resolve(this.#fail(username));
    }
    return Promise.resolve({ status: 'valid', account: this.#view(account), amr: ['pwd'] });
  }

  verifySecondFactor(accountId: string, code: string): Promise<CredentialOutcome> {
    this.calls.push('verifySecondFactor');
    const throttled = this.#throttled(accountId);
    if (throttled) return Promise.resolve(throttled);
    const account = this.accounts.get(accountId);
    if (account === undefined) return Promise.resolve(this.#fail(accountId));
    if (account.totpCode === code) {
      return Promise.resolve({ status: 'valid', account: this.#view(account), amr: ['otp'] });
    }
    const recovery = account.recoveryCodes?.indexOf(code) ?? -1;
    if (recovery >= 0) {
      account.recoveryCodes?.splice(recovery, 1);
      return Promise.resolve({ status: 'valid', account: this.#view(account), amr: ['otp'] });
    }
    return Promise.resolve(this.#fail(accountId));
  }

  beginTotpEnrolment(accountId: string): Promise<TotpEnrolment> {
    this.calls.push('beginTotpEnrolment');
    return Promise.resolve({
      uri: `otpauth://totp/Rampart:${accountId}?secret=JBSWY3DPEHPK3PXP&issuer=Rampart`,
      secret: 'JBSWY3DPEHPK3PXP',
    });
  }

  confirmTotpEnrolment(accountId: string, code: string): Promise<readonly string[] | undefined> {
    this.calls.push('confirmTotpEnrolment');
    const account = this.accounts.get(accountId);
    if (account === undefined || code !== '246810') return Promise.resolve(undefined);
    account.totpCode = code;
    account.mustEnrollTotp = false;
    account.recoveryCodes = ['recovery-one', 'recovery-two'];
    return Promise.resolve([...account.recoveryCodes]);
  }

  passkeyRegistrationOptions(accountId: string): Promise<WebAuthnOptionsJson> {
    this.calls.push('passkeyRegistrationOptions');
    return Promise.resolve({ challenge: `reg-${accountId}`, rp: { name: 'Rampart' } });
  }

  verifyPasskeyRegistration(
    accountId: string,
    response: Record<string, unknown>,
    expectedChallenge: string,
  ): Promise<boolean> {
    this.calls.push('verifyPasskeyRegistration');
    const account = this.accounts.get(accountId);
    const ok = account !== undefined && response['challenge'] === expectedChallenge;
    if (ok) account.passkeys = (account.passkeys ?? 0) + 1;
    return Promise.resolve(ok);
  }

  passkeyAuthenticationOptions(): Promise<WebAuthnOptionsJson> {
    this.calls.push('passkeyAuthenticationOptions');
    return Promise.resolve({
      challenge: `auth-${this.calls.length}`,
      userVerification: 'required',
    });
  }

  /** The double's "assertion": `{ accountId, challenge }`; the challenge must be the server's. */
  verifyPasskeyAuthentication(
    response: Record<string, unknown>,
    expectedChallenge: string,
  ): Promise<CredentialOutcome> {
    this.calls.push('verifyPasskeyAuthentication');
    const account = this.accounts.get(String(response['accountId']));
    if (account === undefined || (account.passkeys ?? 0) === 0) {
      return Promise.resolve({ status: 'invalid' });
    }
    if (response['challenge'] !== expectedChallenge) return Promise.resolve({ status: 'invalid' });
    return Promise.resolve({
      status: 'valid',
      account: this.#view(account),
      amr: ['hwk', 'user', 'mfa'],
    });
  }

  findAccount(accountId: string): Promise<AccountView | undefined> {
    const account = this.accounts.get(accountId);
    return Promise.resolve(account === undefined ? undefined : this.#view(account));
  }
}
