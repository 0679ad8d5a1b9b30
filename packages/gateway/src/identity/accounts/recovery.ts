import { createHash, randomInt } from 'node:crypto';

/**
 * One-time recovery codes: 10 per enrolment, each 16 characters of Crockford base32 (80 bits),
 * shown once as `XXXX-XXXX-XXXX-XXXX`. They are stored as SHA-256 hashes only: with 80 random
 * bits a fast hash is enough (a slow hash protects guessable secrets, these are not).
 */
export const RECOVERY_CODE_COUNT = 10;
const GROUPS = 4;
const GROUP_LENGTH = 4;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: GROUPS }, () =>
      Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''),
    ).join('-'),
  );
}

/**
 * The canonical form of what a person typed: case, spaces and hyphens ignored, and the letters
 * Crockford base32 reads as digits (O → 0, I and L → 1). Undefined when it cannot be a code.
 */
export function canonicalRecoveryCode(input: string): string | undefined {
  if (input.length > 64) return undefined;
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const length = GROUPS * GROUP_LENGTH;
  if (code.length !== length || [...code].some((c) => !ALPHABET.includes(c))) return undefined;
  return code;
}

export function hashRecoveryCode(canonical: string): string {
  return createHash('sha256').update(canonical).digest('base64url');
}
