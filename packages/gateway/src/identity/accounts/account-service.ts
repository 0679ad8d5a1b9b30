import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccountsConfig } from '../../config/accounts-schema.js';
import { gatewayError } from '../../errors.js';
import type { Keyring } from '../../keys/index.js';
import type { Database } from '../../store/schema.js';
import {
  argon2idHasher,
  dummyHash,
  hashMatchesParams,
  passwordWithinBounds,
  type PasswordHasher,
} from './passwords.js';
import {
  assertionIds,
  authenticationOptions,
  registrationOptions,
  verifyAssertion,
  verifyRegistration,
} from './passkeys.js';
import { canonicalRecoveryCode, hashRecoveryCode, newRecoveryCodes } from './recovery.js';
import { relyingPartyFor, type RelyingParty } from './relying-party.js';
import { fromSqlBool } from '../../store/schema.js';
import { AccountRepository, rolesOf, type AccountRow } from './repository.js';
import { openSecret, sealSecret } from './sealed.js';
import type {
  AccountService,
  AccountView,
  AttemptSource,
  CredentialOutcome,
  TotpEnrolment,
  WebAuthnOptionsJson,
  WebAuthnResponseJson,
} from './service.js';
import { BruteForceGuard, memoryLimiters, type LimiterFactory } from './throttle.js';
import { isTotpCode, newTotpSecret, totpStep, totpUri } from './totp.js';
import { normalizeUsername } from './username.js';

export interface AccountServiceDeps {
  readonly db: Kysely<Database>;
  /** Seals TOTP secrets with `data-kek`. */
  readonly keyring: Keyring;
  /** The parsed `accounts` section. */
  readonly config: AccountsConfig;
  /** `server.publicUrl` as loadConfig resolved it: the WebAuthn RP id and origin. */
  readonly publicUrl: string;
  /** Epoch milliseconds (TOTP steps, stored times). Default Date.now. */
  readonly now?: () => number;
  /** Where brute-force counters live. Default: this process's memory. */
  readonly limiters?: LimiterFactory;
  /** Default: argon2id with `config.argon2`. A seam for tests that count verifications. */
  readonly hasher?: PasswordHasher;
  /** Where an unusable sealed factor is reported (account id and reason, never the value). */
  readonly logger?: { warn(fields: Record<string, unknown>, message: string): void };
}

const INVALID: CredentialOutcome = Object.freeze({ status: 'invalid' });

/** Builds the accounts domain the login pages call (see service.ts for the contract). */
export function createAccountService(deps: AccountServiceDeps): AccountService {
  const { keyring, config } = deps;
  const now = deps.now ?? Date.now;
  const repo = new AccountRepository(deps.db);
  const hasher = deps.hasher ?? argon2idHasher(config.argon2);
  const dummy = dummyHash(hasher);
  // Computed now, so that not even the first unknown username pays for making it.
  dummy().catch(() => undefined);
  // Derived on first use: a public URL that is a non-loopback IP address cannot host passkeys,
  // and that should fail the passkey ceremonies, not passwords and TOTP.
  let relyingParty: RelyingParty | undefined;
  const rp = () => (relyingParty ??= relyingPartyFor(deps.publicUrl));
  const factory = deps.limiters ?? memoryLimiters;
  // One IP budget for every kind of credential; separate account budgets per kind.
  const passwords = new BruteForceGuard(factory, config.bruteForce, 'pwd');
  const secondFactors = new BruteForceGuard(factory, config.bruteForce, 'mfa', passwords.ipLimiter);
  const passkeyLogins = new BruteForceGuard(factory, config.bruteForce, 'hwk', passwords.ipLimiter);

  async function view(row: AccountRow): Promise<AccountView> {
    return {
      id: row.id,
      username: row.username,
      tenant: row.tenant ?? undefined,
      roles: rolesOf(row),
      totpEnrolled: row.totp_secret !== null,
      passkeys: await repo.passkeyCount(row.id),
      mustEnrollTotp: fromSqlBool(row.must_enroll_totp),
    };
  }

  /**
   * A sealed TOTP secret opened for its own row, or undefined when it cannot be: the value was
   * copied from another account (the `acct` bound in its header), altered, or sealed under a
   * data-kek no longer loaded. Such a factor is unusable, so the caller refuses as for a wrong
   * code — never a 500 — and the operator learns of it from the log (no secret in it).
   */
  async function openFactor(row: AccountRow, sealed: string): Promise<string | undefined> {
    try {
      return await openSecret(keyring, row.id, sealed);
    } catch (error) {
      deps.logger?.warn(
        { account: row.id, reason: error instanceof Error ? error.message : 'unknown' },
        'accounts: a sealed TOTP secret cannot be opened; the factor is unusable',
      );
      return undefined;
    }
  }

  async function usable(accountId: string): Promise<AccountRow> {
    const row = typeof accountId === 'string' ? await repo.byId(accountId) : undefined;
    if (row === undefined || fromSqlBool(row.disabled)) {
      throw gatewayError('account.unavailable', 'The account does not exist or is disabled.');
    }
    return row;
  }

  return {
    async verifyPassword(username, password, source) {
      const typed = typeof username === 'string' ? username : '';
      const name = normalizeUsername(typed);
      // A malformed name still has a counter of its own, so it is throttled like any other.
      const key = name?.key ?? `malformed:${digest(typed.slice(0, 1024))}`;
      const reservation = await passwords.reserve(key, source.ip);
      if (!reservation.ok) return throttled(reservation.retryAfterSeconds);
      // Out of bounds fails for every account alike, before any hashing work.
      if (typeof password !== 'string' || !passwordWithinBounds(password)) return INVALID;
      const row = name === undefined ? undefined : await repo.byUsernameKey(name.key);
      // The one code path: an unknown account (or one without a password) is verified
      // against the dummy hash, so each call costs exactly one argon2 verification.
      const phc = row?.password_hash ?? (await dummy());
      const matches = await hasher.verify(phc, password);
      if (!matches || row === undefined || row.password_hash === null) return INVALID;
      if (fromSqlBool(row.disabled)) return INVALID;
      // A passkey account never falls back to a password.
      if ((await repo.passkeyCount(row.id)) > 0) return INVALID;
      await reservation.succeeded();
      if (!hashMatchesParams(row.password_hash, config.argon2)) {
        // Parameters were raised since this hash was made: upgrade it while we know the password.
        await repo.setPasswordHash(row.id, await hasher.hash(password), now());
      }
      return { status: 'valid', account: await view(row), amr: ['pwd'] };
    },

    async verifySecondFactor(accountId, code, source) {
      const reservation = await secondFactors.reserve(bounded(accountId), source.ip);
      if (!reservation.ok) return throttled(reservation.retryAfterSeconds);
      if (typeof code !== 'string' || code.length > 64) return INVALID;
      const row = await repo.byId(accountId);
      if (row === undefined || fromSqlBool(row.disabled) || row.totp_secret === null) {
        return INVALID;
      }
      const compact = code.replace(/\s/g, '');
      if (isTotpCode(compact)) {
        const secret = await openFactor(row, row.totp_secret);
        if (secret === undefined) return INVALID;
        const step = totpStep(secret, compact, now());
        // useTotpStep refuses a step at or before the last accepted one: no replay.
        if (step === undefined || !(await repo.useTotpStep(row.id, step))) return INVALID;
        await reservation.succeeded();
        return { status: 'valid', account: await view(row), amr: ['otp'] };
      }
      const canonical = canonicalRecoveryCode(code);
      if (canonical === undefined) return INVALID;
      if (!(await repo.spendRecoveryCode(row.id, hashRecoveryCode(canonical), now()))) {
        return INVALID;
      }
      await reservation.succeeded();
      return {
        status: 'valid',
        account: await view(row),
        amr: ['otp'],
        recoveryCodesLeft: await repo.unusedRecoveryCodes(row.id),
      };
    },

    async beginTotpEnrolment(accountId): Promise<TotpEnrolment> {
      const row = await usable(accountId);
      if (row.totp_secret !== null) {
        throw gatewayError('account.totp_already_enrolled', 'TOTP is already enrolled.');
      }
      const secret = newTotpSecret();
      await repo.setPendingTotp(row.id, await sealSecret(keyring, row.id, secret), now());
      return { uri: totpUri(secret, config.totpIssuer, row.username), secret };
    },

    async confirmTotpEnrolment(accountId, code) {
      const row = await usable(accountId);
      if (row.totp_pending === null || typeof code !== 'string') return undefined;
      const secret = await openFactor(row, row.totp_pending);
      if (secret === undefined) return undefined;
      const step = totpStep(secret, code.replace(/\s/g, ''), now());
      if (step === undefined) return undefined;
      const codes = newRecoveryCodes();
      const hashes = codes.map((c) => hashRecoveryCode(canonicalRecoveryCode(c) as string));
      const confirmed = await repo.confirmTotp(row.id, row.totp_pending, step, hashes, now());
      return confirmed ? codes : undefined;
    },

    async passkeyRegistrationOptions(accountId): Promise<WebAuthnOptionsJson> {
      const row = await usable(accountId);
      const existing = await repo.passkeys(row.id);
      const options = await registrationOptions(
        rp(),
        config.webauthnRpName,
        { accountId: row.id, username: row.username },
        existing,
      );
      return options as unknown as WebAuthnOptionsJson;
    },

    async verifyPasskeyRegistration(accountId, response, expectedChallenge) {
      const row = await usable(accountId);
      if (!isObject(response) || typeof expectedChallenge !== 'string') return false;
      const passkey = await verifyRegistration(rp(), response, expectedChallenge);
      if (passkey === undefined) return false;
      // A credential id already registered (here or to another account) is refused.
      return repo.insertPasskey({ ...passkey, accountId: row.id, now: now() });
    },

    async passkeyAuthenticationOptions(): Promise<WebAuthnOptionsJson> {
      return (await authenticationOptions(rp())) as unknown as WebAuthnOptionsJson;
    },

    async verifyPasskeyAuthentication(
      response: WebAuthnResponseJson,
      expectedChallenge: string,
      source: AttemptSource,
    ): Promise<CredentialOutcome> {
      const ids = isObject(response) ? assertionIds(response) : undefined;
      const reservation = await passkeyLogins.reserve(ids?.id, source.ip);
      if (!reservation.ok) return throttled(reservation.retryAfterSeconds);
      if (ids === undefined || typeof expectedChallenge !== 'string') return INVALID;
      const credential = await repo.passkey(ids.id);
      if (credential === undefined) return INVALID;
      // The user handle, when sent, must name the credential's own account.
      if (
        ids.userHandle !== undefined &&
        Buffer.from(ids.userHandle, 'base64url').toString('utf8') !== credential.account_id
      ) {
        return INVALID;
      }
      const row = await repo.byId(credential.account_id);
      if (row === undefined || fromSqlBool(row.disabled)) return INVALID;
      const verified = await verifyAssertion(rp(), response, expectedChallenge, credential);
      if (verified === undefined) return INVALID;
      const stored = await repo.usePasskey(
        credential.id,
        Number(credential.counter),
        verified.newCounter,
        verified.backedUp,
        now(),
      );
      if (!stored) return INVALID;
      await reservation.succeeded();
      return { status: 'valid', account: await view(row), amr: ['hwk', 'user'] };
    },

    async findAccount(accountId) {
      if (typeof accountId !== 'string' || accountId.length > 128) return undefined;
      const row = await repo.byId(accountId);
      return row === undefined ? undefined : view(row);
    },
  };
}

function throttled(retryAfterSeconds: number): CredentialOutcome {
  return { status: 'throttled', retryAfterSeconds };
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** A limiter key of bounded size for an attacker-chosen id. */
function bounded(id: string): string {
  return typeof id === 'string' && id.length <= 128 ? id : `long:${digest(String(id))}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
