import { createHmac, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { gatewayError } from '../../errors.js';
import { DPOP_NONCE } from '../../http/problem.js';
import { quotable, REALM, withChallenge } from './challenge.js';

/**
 * Server-provided DPoP nonces (RFC 9449 sections 8 and 9), stateless, and ONE scheme for the
 * whole origin: the same nonces are issued and accepted by the `/v1` resource server and by the
 * embedded provider's token endpoint, so a client that keeps one nonce per origin (as
 * oauth4webapi does) never pays an extra round trip moving between them.
 *
 * The scheme is oidc-provider's own (its `ServerChallenge`, fed the `nonceSecret` below): time is
 * cut into 60-second steps; the nonce of step `n` is HKDF-SHA256(secret, salt = `n` as 8
 * big-endian bytes, info = "DPoP", 32 bytes), base64url; the nonce handed out is step now+1's,
 * and steps now-2 to now+2 are accepted, so a nonce stays good for about four minutes. The
 * secret is an HMAC of a fixed label under the `cookie-secret` key, so replicas holding that key
 * agree without sharing state; a retired key (in its rotation overlap) still verifies. A nonce
 * says nothing about the client; it only bounds how far ahead a proof can have been signed.
 */
export interface NonceIssuer {
  /** The nonce to hand out at `nowMs`. */
  current(nowMs: number): string;
  /**
   * How a proof's `nonce` claim stands at `nowMs`: `current`, `previous` (accepted; the client
   * should switch to the current one) or `invalid` (missing, forged, or too old).
   */
  check(nonce: unknown, nowMs: number): 'current' | 'previous' | 'invalid';
}

export interface NonceIssuerOptions {
  /** The `cookie-secret` versions still usable, the current one first (`Keyring.verificationKeys`). */
  readonly keys: () => readonly KeyObject[];
}

/** oidc-provider's step and window (lib/helpers/challenge.js): 60 s, steps now-2 … now+2. */
const STEP_SECONDS = 60;
const WINDOW = [-2, -1, 0, 1, 2] as const;
const INFO = 'DPoP';
const NONCE_CHARS = 43;
/** Separates the nonce secret from every other use of the cookie secret. */
const SECRET_CONTEXT = 'rampart/oidc-provider/dpop-nonce-secret/v1';

/** The 32-byte nonce secret of a `cookie-secret` key: oidc-provider's `nonceSecret` too. */
export function providerNonceSecret(cookieSecret: KeyObject): Buffer {
  return createHmac('sha256', cookieSecret).update(SECRET_CONTEXT).digest();
}

function nonceAt(secret: Buffer, step: number): string {
  const salt = Buffer.alloc(8);
  salt.writeBigUInt64BE(BigInt(step));
  return Buffer.from(hkdfSync('sha256', secret, salt, INFO, 32)).toString('base64url');
}

export function createNonceIssuer(options: NonceIssuerOptions): NonceIssuer {
  // Per key, the window's nonces are computed once per step.
  const windows = new WeakMap<KeyObject, { step: number; nonces: string[] }>();
  const windowOf = (key: KeyObject, step: number): string[] => {
    const cached = windows.get(key);
    if (cached !== undefined && cached.step === step) return cached.nonces;
    const secret = providerNonceSecret(key);
    const nonces = WINDOW.map((offset) => nonceAt(secret, step + offset));
    windows.set(key, { step, nonces });
    return nonces;
  };
  const stepOf = (nowMs: number) => Math.floor(nowMs / 1000 / STEP_SECONDS);

  return {
    current(nowMs) {
      const [key] = options.keys();
      if (key === undefined) throw new Error('no cookie-secret key to derive DPoP nonces from');
      return windowOf(key, stepOf(nowMs))[3] as string;
    },
    check(nonce, nowMs) {
      if (typeof nonce !== 'string' || nonce.length !== NONCE_CHARS) return 'invalid';
      const claimed = Buffer.from(nonce);
      const step = stepOf(nowMs);
      let current = false;
      let any = false;
      options.keys().forEach((key, index) => {
        windowOf(key, step).forEach((expected, slot) => {
          // Every comparison runs, in constant time, whatever matched before.
          const match = timingSafeEqual(Buffer.from(expected), claimed);
          any ||= match;
          current ||= match && index === 0 && slot === 3;
        });
      });
      return current ? 'current' : any ? 'previous' : 'invalid';
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
