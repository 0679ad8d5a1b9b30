import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The service key format: `rk_<id>_<secret>`, both base64url and of fixed length, so the key
 * splits without ambiguity although base64url itself contains `_`:
 *
 * - `id`: 12 random bytes, 16 characters, the public half (listed, logged, revoked by);
 * - `secret`: 32 random bytes (256 bits), 43 characters, shown once and stored only hashed.
 *
 * 63 characters in all, inside RFC 6750's b64token, so `Authorization: Bearer rk_…` carries it
 * as any OpenAI SDK sends its `apiKey`.
 */
export const SERVICE_KEY_PREFIX = 'rk_';
const ID_BYTES = 12;
const SECRET_BYTES = 32;
const ID_CHARS = 16;
const SECRET_CHARS = 43;
const FORMAT = new RegExp(`^rk_([A-Za-z0-9_-]{${ID_CHARS}})_([A-Za-z0-9_-]{${SECRET_CHARS}})$`);

export interface ServiceKeyParts {
  readonly id: string;
  readonly secret: string;
}

/** A new key's id and secret from the system's CSPRNG, and the text shown once. */
export function generateServiceKey(): ServiceKeyParts & { readonly key: string } {
  const id = randomBytes(ID_BYTES).toString('base64url');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, secret, key: `${SERVICE_KEY_PREFIX}${id}_${secret}` };
}

/** The id and secret of a well-formed key; undefined for anything else (never throws). */
export function parseServiceKey(key: string): ServiceKeyParts | undefined {
  const match = FORMAT.exec(key);
  if (match === null) return undefined;
  const [, id, secret] = match;
  return id === undefined || secret === undefined ? undefined : { id, secret };
}

/**
 * The stored hash: base64url SHA-256 of `rk:<id>:<secret>`. The id is inside so that a
 * secret's hash is worth nothing under another row's id.
 */
export function hashServiceKeySecret(id: string, secret: string): string {
  return createHash('sha256').update(`rk:${id}:${secret}`).digest('base64url');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(id: string, secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashServiceKeySecret(id, secret), 'base64url');
  const stored = Buffer.from(storedHash, 'base64url');
  // Both are SHA-256 digests; a stored value of another length is corrupt and never matches.
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
