import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { gatewayError } from '../../errors.js';
import { DPOP_NONCE } from '../../http/problem.js';
import { quotable, REALM, withChallenge } from './challenge.js';

/**
 * Server-provided DPoP nonces (RFC 9449 sections 8 and 9), stateless: the nonce of a period is
 * an HMAC of the period's number under the `cookie-secret` key, so every replica holding that
 * key issues and accepts the same nonces without sharing state, and nothing is stored per
 * client. The nonce of the current period and of the one before are accepted, so a nonce stays
 * good for between one and two periods and a client is asked for a new one at most once per
 * period. A nonce says nothing about the client; it only bounds how far ahead a proof can have
 * been signed.
 */
export interface NonceIssuer {
  /** The nonce to hand out at `nowMs`. */
  current(nowMs: number): string;
  /**
   * How a proof's `nonce` claim stands at `nowMs`: `current`, `previous` (accepted; the client
   * should switch to the current one) or `invalid` (missing, forged, or older).
   */
  check(nonce: unknown, nowMs: number): 'current' | 'previous' | 'invalid';
}

export interface NonceIssuerOptions {
  /** The `cookie-secret` versions still usable, the current one first (`Keyring.verificationKeys`). */
  readonly keys: () => readonly KeyObject[];
  /** Length of one period (`auth.dpop.nonce.rotationSeconds`). */
  readonly rotationSeconds: number;
}

/** 16 bytes of the HMAC, base64url: 22 characters of NQCHAR, unguessable without the key. */
const NONCE_BYTES = 16;
const MAX_NONCE_CHARS = 64;
/** Separates these MACs from anything else the cookie secret authenticates. */
const CONTEXT = 'rampart/dpop-nonce/v1/';

export function createNonceIssuer(options: NonceIssuerOptions): NonceIssuer {
  const periodMs = options.rotationSeconds * 1000;
  // One MAC per period and key in the common case: the last ones computed are kept.
  let cached: { period: number; key: KeyObject; nonce: string } | undefined;
  const nonceOf = (period: number, key: KeyObject): string => {
    if (cached !== undefined && cached.period === period && cached.key === key) return cached.nonce;
    const nonce = createHmac('sha256', key)
      .update(CONTEXT + String(period))
      .digest()
      .subarray(0, NONCE_BYTES)
      .toString('base64url');
    cached = { period, key, nonce };
    return nonce;
  };
  const matches = (claimed: Buffer, period: number, keys: readonly KeyObject[]) =>
    keys.some((key) => {
      const expected = Buffer.from(nonceOf(period, key));
      return expected.length === claimed.length && timingSafeEqual(expected, claimed);
    });

  return {
    current(nowMs) {
      const [key] = options.keys();
      if (key === undefined) throw new Error('no cookie-secret key to derive DPoP nonces from');
      return nonceOf(Math.floor(nowMs / periodMs), key);
    },
    check(nonce, nowMs) {
      if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > MAX_NONCE_CHARS) {
        return 'invalid';
      }
      const claimed = Buffer.from(nonce);
      const keys = options.keys();
      const period = Math.floor(nowMs / periodMs);
      if (matches(claimed, period, keys)) return 'current';
      if (matches(claimed, period - 1, keys)) return 'previous';
      return 'invalid';
    },
  };
}

/**
 * What a proof's nonce means for the request: refused with `use_dpop_nonce` (401
 * `auth.dpop_nonce_required`, the current nonce in `DPoP-Nonce`), or accepted, with the
 * current nonce to send back on the answer when the proof carried the previous one.
 */
export function checkProofNonce(
  issuer: NonceIssuer,
  algorithms: readonly string[],
  nonce: unknown,
  nowMs: number,
): string | undefined {
  const standing = issuer.check(nonce, nowMs);
  if (standing === 'current') return undefined;
  const fresh = issuer.current(nowMs);
  if (standing === 'previous') return fresh;
  const description =
    nonce === undefined
      ? 'Sign the DPoP proof with the nonce in the DPoP-Nonce header.'
      : 'The DPoP nonce is no longer accepted: use the one in the DPoP-Nonce header.';
  throw withChallenge(
    gatewayError('auth.dpop_nonce_required', description, { extensions: { [DPOP_NONCE]: fresh } }),
    `DPoP realm="${REALM}", algs="${algorithms.join(' ')}", error="use_dpop_nonce", error_description="${quotable(description)}"`,
  );
}
