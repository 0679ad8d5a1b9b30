import {
  calculateJwkThumbprint,
  EmbeddedJWK,
  type CryptoKey,
  type FlattenedJWSInput,
  type JWK,
  type JWSHeaderParameters,
} from 'jose';

/**
 * A device sends the same public key in every DPoP proof, and importing it is the dearest step
 * of checking a proof (a JWK import costs about twice an ECDSA verification with OpenSSL 3), so
 * the imported key and its RFC 7638 thumbprint are kept per key, keyed by the exact JSON of the
 * header's `jwk` (and `alg`): the same input always gives jose's same answer, and any other
 * input is imported afresh. Failures are never kept. Bounded, least recently used first out, so
 * that proofs signed with ever new keys cannot grow it.
 */

/** Device keys kept; a miss costs only what every proof cost before. */
export const MAX_CACHED_DEVICE_KEYS = 4096;

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

const keys = new BoundedCache<CryptoKey>(MAX_CACHED_DEVICE_KEYS);
const thumbprints = new BoundedCache<string>(MAX_CACHED_DEVICE_KEYS);

/**
 * jose's `EmbeddedJWK` (the proof's key is its header's `jwk`; private and symmetric keys are
 * refused with JWSInvalid), with the imported key kept per `alg` and `jwk`.
 */
export async function embeddedKey(
  protectedHeader: JWSHeaderParameters,
  token: FlattenedJWSInput,
): Promise<CryptoKey> {
  // A compact JWS has no unprotected header, so the protected one is all EmbeddedJWK reads.
  const id =
    token.header === undefined
      ? `${String(protectedHeader.alg)} ${JSON.stringify(protectedHeader.jwk)}`
      : undefined;
  const cached = id === undefined ? undefined : keys.get(id);
  if (cached !== undefined) return cached;
  const key = await EmbeddedJWK(protectedHeader, token);
  if (id !== undefined) keys.set(id, key);
  return key;
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
