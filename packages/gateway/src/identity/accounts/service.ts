/**
 * The contract between the embedded provider's login pages (`identity/provider/`) and the
 * accounts domain (`identity/accounts/`): what a login step may ask and what it learns. The
 * provider never reads account tables itself; the accounts module never renders HTML or
 * knows about OAuth. Every method is safe to call with attacker-chosen input.
 *
 * Factor names follow RFC 8176 (`amr` values): `pwd` password, `otp` TOTP (RFC 6238), `hwk`
 * a passkey (WebAuthn, proof of possession of a hardware-bound key), `user` user presence and
 * verification (WebAuthn UV: Face ID, Touch ID, BiometricPrompt, a PIN), `mfa` more than one.
 */

/** What the login flow may know about an account: never a hash, secret or credential. */
export interface AccountView {
  readonly id: string;
  readonly username: string;
  /** Tenant the account belongs to (`undefined`: the default tenant). */
  readonly tenant: string | undefined;
  readonly roles: readonly string[];
  /** TOTP is enrolled and confirmed. */
  readonly totpEnrolled: boolean;
  /** Number of registered passkeys. */
  readonly passkeys: number;
  /**
   * TOTP enrolment is demanded before the account may finish a login (set on admins created
   * with `rampart admin create-user`, cleared when enrolment is confirmed).
   */
  readonly mustEnrollTotp: boolean;
}

/** Where a login attempt comes from: the brute-force limiter keys on both. */
export interface AttemptSource {
  /** The client IP as the gateway resolved it (`server.trustedProxies` applied). */
  readonly ip: string;
}

/**
 * The outcome of a credential check. `invalid` is the same for an unknown account, a wrong
 * password and a disabled account (no user enumeration); `throttled` means the account or the
 * IP exceeded its attempt budget and nothing was checked.
 */
export type CredentialOutcome =
  | {
      readonly status: 'valid';
      readonly account: AccountView;
      readonly amr: readonly string[];
      /**
       * Set only when a recovery code was spent: how many unused ones remain (the login page
       * should urge the user to re-enrol or print new ones when this is low).
       */
      readonly recoveryCodesLeft?: number;
    }
  | { readonly status: 'invalid' }
  | { readonly status: 'throttled'; readonly retryAfterSeconds: number };

/** A TOTP secret being enrolled: shown once to the user (QR code of `uri`), never again. */
export interface TotpEnrolment {
  /** `otpauth://totp/…` URI (Key Uri Format) for authenticator apps. */
  readonly uri: string;
  /** The base32 secret, for manual entry. */
  readonly secret: string;
}

/** WebAuthn JSON options as @simplewebauthn/browser expects them (`PublicKeyCredential*OptionsJSON`). */
export type WebAuthnOptionsJson = Record<string, unknown>;
/** A WebAuthn response as @simplewebauthn/browser returns it (`RegistrationResponseJSON`, …). */
export type WebAuthnResponseJson = Record<string, unknown>;

export interface AccountService {
  /**
   * First factor by password. One code path for known and unknown usernames: an unknown one
   * is verified against a dummy argon2id hash, so the work done is the same. An account that
   * has a passkey is refused here (`invalid`) — it must log in with the passkey: a passkey
   * account never falls back to a weaker factor.
   */
  verifyPassword(
    username: string,
    password: string,
    source: AttemptSource,
  ): Promise<CredentialOutcome>;
  /** Second factor: a TOTP code (±1 step) or one unused recovery code (spent by this call). */
  verifySecondFactor(
    accountId: string,
    code: string,
    source: AttemptSource,
  ): Promise<CredentialOutcome>;
  /**
   * Starts (or restarts, while unconfirmed) TOTP enrolment. Throws `account.unavailable` for an
   * unknown or disabled account and `account.totp_already_enrolled` once TOTP is confirmed (a
   * login step never replaces a second factor).
   */
  beginTotpEnrolment(accountId: string): Promise<TotpEnrolment>;
  /**
   * Confirms enrolment with a first code; returns the one-time recovery codes (shown once,
   * stored only as hashes), or undefined when the code is wrong. Clears `mustEnrollTotp`; the
   * confirming code's time step counts as used. Throws `account.unavailable` like
   * beginTotpEnrolment.
   */
  confirmTotpEnrolment(accountId: string, code: string): Promise<readonly string[] | undefined>;
  /**
   * Registration options for a new passkey (user verification required, resident key). The
   * caller keeps `options.challenge` (in the interaction's server-side state, never trusting
   * the browser to return it) and passes it back to `verifyPasskeyRegistration`. The relying
   * party id and origin come from `server.publicUrl` (a loopback IP becomes `localhost`).
   * Throws `account.unavailable` for an unknown or disabled account.
   */
  passkeyRegistrationOptions(accountId: string): Promise<WebAuthnOptionsJson>;
  /**
   * Verifies and stores a new passkey; false when the ceremony does not verify or the
   * credential id is already registered (to any account). From then on the account's password
   * is refused at login. Throws `account.unavailable` for an unknown or disabled account.
   */
  verifyPasskeyRegistration(
    accountId: string,
    response: WebAuthnResponseJson,
    expectedChallenge: string,
  ): Promise<boolean>;
  /** Authentication options (discoverable credentials, user verification required). */
  passkeyAuthenticationOptions(): Promise<WebAuthnOptionsJson>;
  /**
   * A passkey login: with user verification it is the whole login (amr `hwk`, `user`; the
   * login layer adds `mfa` and sets `acr`, since possession plus verification is two factors).
   * The signature counter is checked and stored.
   */
  verifyPasskeyAuthentication(
    response: WebAuthnResponseJson,
    expectedChallenge: string,
    source: AttemptSource,
  ): Promise<CredentialOutcome>;
  findAccount(accountId: string): Promise<AccountView | undefined>;
}
