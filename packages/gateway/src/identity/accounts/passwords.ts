import { hash, verify, type Algorithm } from '@node-rs/argon2';
import type { AccountsConfig } from '../../config/accounts-schema.js';

/**
 * Password hashing with argon2id (RFC 9106) through @node-rs/argon2. The hasher is a seam so
 * that tests can count verifications: the login path must do exactly one per attempt, whatever
 * the account (see AccountService.verifyPassword).
 */
export interface PasswordHasher {
  /** A PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash` with a fresh random salt. */
  hash(password: string): Promise<string>;
  /** True when `password` matches the PHC string; false for a mismatch or a malformed hash. */
  verify(phc: string, password: string): Promise<boolean>;
}

/** Passwords are bounded in UTF-8 bytes before any hashing: 1 to 1024. */
export const MAX_PASSWORD_BYTES = 1024;

export function passwordWithinBounds(password: string): boolean {
  if (password.length === 0 || password.length > MAX_PASSWORD_BYTES) return false;
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}

// @node-rs/argon2 declares Algorithm as a const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm;

export function argon2idHasher(params: AccountsConfig['argon2']): PasswordHasher {
  const options = {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  return {
    hash: (password) => hash(password, options),
    async verify(phc, password) {
      try {
        return await verify(phc, password);
      } catch {
        return false;
      }
    },
  };
}

/**
 * A hash of a random password nobody knows, computed once with the configured parameters:
 * unknown usernames are verified against it so that they cost the same argon2 work as known
 * ones (no user enumeration by timing).
 */
export function dummyHash(hasher: PasswordHasher): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= hasher.hash(crypto.randomUUID());
    return pending;
  };
}

/** The parameters a PHC string was made with, to rehash after the configuration grew stronger. */
export function hashMatchesParams(phc: string, params: AccountsConfig['argon2']): boolean {
  return phc.startsWith(
    `$argon2id$v=19$m=${params.memoryKiB},t=${params.timeCost},p=${params.parallelism}$`,
  );
}
