import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

/**
 * A device sends the same public key in every DPoP proof, and importing it is the dearest step
 * of checking a proof after the signature itself, so the imported node:crypto KeyObject and the
 * key's RFC 7638 thumbprint are kept per key, keyed by the exact JSON of the header's `jwk`: the
 * same input always gives the same answer, and any other input is imported afresh. Failures are
 * never kept. Bounded, least recently used first out, so that proofs signed with ever new keys
 * cannot grow it.
 */

/** Device keys kept; a miss costs only what every proof cost before. */
export const MAX_CACHED_DEVICE_KEYS = 4096;
/** RSA moduli accepted, in bits: below 2048 is weak (as jose refuses), above 8192 only slow. */
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;
/** Largest RSA public exponent accepted: verification cost grows with its length. */
const MAX_RSA_EXPONENT = 2n ** 32n;

class BoundedCache<V> {
  readonly #entries = new Map<string, V>();

  constructor(readonly maxEntries: number) {}

  get(id: string): V | undefined {
    const value = this.#entries.get(id);
    if (value !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#entries.delete(id);
      this.#entries.set(id, value);
    }
    return value;
  }

  set(id: string, value: V): void {
    this.#entries.set(id, value);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }
}

/** Members only a private or symmetric JWK has; a proof's `jwk` must carry none. */
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const keys = new BoundedCache<KeyObject>(MAX_CACHED_DEVICE_KEYS);
const thumbprints = new BoundedCache<string>(MAX_CACHED_DEVICE_KEYS);

/**
 * The public KeyObject of a proof's `jwk` (an EC, OKP or RSA public JWK, RFC 7517/7518), kept
 * per exact JSON; undefined when it is not one (a private or symmetric key, a point off its
 * curve, an RSA modulus outside 2048..8192 bits or an exponent beyond 2^32). The caller has
 * already matched `kty` and `crv` against the proof's algorithm.
 */
export function deviceKey(jwk: Readonly<Record<string, unknown>>): KeyObject | undefined {
  // node:crypto would derive the public half of a private JWK: refuse it instead.
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member))) return undefined;
  const id = JSON.stringify(jwk);
  const cached = keys.get(id);
  if (cached !== undefined) return cached;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (key.type !== 'public' || !acceptable(key)) return undefined;
  keys.set(id, key);
  return key;
}

function acceptable(key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details?.modulusLength ?? 0;
    const exponent = details?.publicExponent ?? 0n;
    return bits >= MIN_RSA_BITS && bits <= MAX_RSA_BITS && exponent <= MAX_RSA_EXPONENT;
  }
  return key.asymmetricKeyType === 'ec' || key.asymmetricKeyType === 'ed25519';
}

/** jose's `calculateJwkThumbprint` (SHA-256, base64url), kept per `jwk`. */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  const id = JSON.stringify(jwk);
  const cached = thumbprints.get(id);
  if (cached !== undefined) return cached;
  const thumbprint = await calculateJwkThumbprint(jwk);
  thumbprints.set(id, thumbprint);
  return thumbprint;
}
