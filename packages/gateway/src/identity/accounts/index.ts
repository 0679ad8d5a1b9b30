/**
 * Local accounts of the embedded provider: passwords (argon2id), TOTP with recovery codes,
 * passkeys (WebAuthn), brute-force limits. Pure domain and repositories; the login pages call
 * it through the AccountService contract (service.ts).
 */
export { createAccountService, type AccountServiceDeps } from './account-service.js';
export {
  createAccountAdmin,
  type AccountAdmin,
  type AccountAdminDeps,
  type AccountSummary,
  type NewAccountInput,
} from './admin.js';
export type * from './service.js';
export { argon2idHasher, MAX_PASSWORD_BYTES, type PasswordHasher } from './passwords.js';
export { relyingPartyFor, type RelyingParty } from './relying-party.js';
export {
  memoryLimiters,
  redisLimiters,
  type LimiterFactory,
  type LimiterOptions,
} from './throttle.js';
export { MAX_USERNAME_LENGTH, normalizeUsername } from './username.js';
