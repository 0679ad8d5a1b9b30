import type { RampartError } from '@rampart/core';
import { createHash } from 'node:crypto';
import type { Config } from '../../config/index.js';
import { gatewayError, type GatewayErrorCode } from '../../errors.js';
import { quotable, REALM, withChallenge } from './challenge.js';
import { jwkThumbprint } from './dpop-keys.js';
import { checkProofNonce, type NonceIssuer } from './nonce.js';
import { ProofFault, verifyProofJws, type VerifiedProof } from './proof-jws.js';
import { ReplayCacheFull, type ReplayCache } from './replay.js';

/**
 * DPoP at the resource server (RFC 9449 section 4.3 and 7): the proof in the `DPoP` header must
 * be a fresh JWT signed by the key the access token is bound to (`cnf.jkt`), for this method and
 * URL and this very token, presented once.
 */

export interface DpopPolicy {
  readonly algorithms: readonly string[];
  readonly maxAgeSeconds: number;
  /** `server.publicUrl`, without a trailing slash: what `htu` must start with. */
  readonly publicUrl: string;
  /** Longest proof accepted (the token bound, `auth.maxTokenBytes`). */
  readonly maxProofBytes: number;
  readonly replay: ReplayCache;
  /** Server nonces (`auth.dpop.nonce.required`); undefined: proofs need none. */
  readonly nonce?: NonceIssuer | undefined;
}

export interface ProofContext {
  readonly proof: string | string[] | undefined;
  readonly method: string;
  /** The request target as received (path and query). */
  readonly url: string;
  readonly accessToken: string;
  /** The token's `cnf.jkt`. */
  readonly jkt: string;
  readonly nowMs: number;
  readonly clockSkewSeconds: number;
}

const MAX_JTI_CHARS = 256;

export function dpopPolicy(
  config: Pick<Config, 'auth' | 'server'>,
  replay: ReplayCache,
  nonce?: NonceIssuer,
): DpopPolicy {
  return {
    nonce,
    algorithms: config.auth.dpop.algorithms,
    maxAgeSeconds: config.auth.dpop.maxAgeSeconds,
    publicUrl: config.server.publicUrl.replace(/\/$/, ''),
    maxProofBytes: config.auth.maxTokenBytes,
    replay,
  };
}

/** The `WWW-Authenticate` challenge of the DPoP scheme (RFC 9449 section 7.1). */
export function dpopChallenge(
  policy: Pick<DpopPolicy, 'algorithms'>,
  error?: { readonly code: 'invalid_dpop_proof' | 'invalid_token'; readonly description: string },
): string {
  const base = `DPoP realm="${REALM}", algs="${policy.algorithms.join(' ')}"`;
  return error === undefined
    ? base
    : `${base}, error="${error.code}", error_description="${quotable(error.description)}"`;
}

/** A refusal with the DPoP challenge: `invalid_dpop_proof` for proof faults, else `invalid_token`. */
export function dpopRefusal(
  policy: Pick<DpopPolicy, 'algorithms'>,
  code: GatewayErrorCode,
  description: string,
): RampartError {
  const error = gatewayError(code, description);
  if (error.status !== 401) return error;
  const kind =
    code === 'auth.dpop_invalid' || code === 'auth.dpop_replayed'
      ? 'invalid_dpop_proof'
      : 'invalid_token';
  return withChallenge(error, dpopChallenge(policy, { code: kind, description }));
}

/**
 * Verifies the request's DPoP proof against the bound token; throws a RampartError. Resolves to
 * the server nonce the answer should carry in `DPoP-Nonce` (the proof used the previous one),
 * or undefined.
 */
export async function verifyDpopProof(
  context: ProofContext,
  policy: DpopPolicy,
): Promise<string | undefined> {
  const invalid = (description: string) => dpopRefusal(policy, 'auth.dpop_invalid', description);
  const { proof } = context;
  if (proof === undefined || proof.length === 0) {
    throw invalid('Send a DPoP proof in the DPoP header.');
  }
  if (typeof proof !== 'string') throw invalid('Send exactly one DPoP header.');
  if (proof.length > policy.maxProofBytes) throw invalid('The DPoP proof is too large.');

  let verified: VerifiedProof;
  try {
    // typ, a public jwk fit for alg, alg on the allowlist, the signature (node:crypto, the
    // device's key imported once).
    verified = verifyProofJws(proof, policy.algorithms);
  } catch (error) {
    if (error instanceof ProofFault) throw invalid(error.message);
    throw error;
  }
  const { payload, jwk } = verified;
  const nowSeconds = context.nowMs / 1000;
  // jose's exp and nbf checks, when a proof carries them (RFC 9449 needs neither).
  if (payload['exp'] !== undefined) {
    if (
      typeof payload['exp'] !== 'number' ||
      payload['exp'] <= nowSeconds - context.clockSkewSeconds
    ) {
      throw invalid('The DPoP proof has expired (exp).');
    }
  }
  if (payload['nbf'] !== undefined) {
    if (
      typeof payload['nbf'] !== 'number' ||
      payload['nbf'] > nowSeconds + context.clockSkewSeconds
    ) {
      throw invalid('The DPoP proof is not valid yet (nbf).');
    }
  }

  if (payload['htm'] !== context.method) {
    throw invalid('The DPoP proof is for another method (htm).');
  }
  if (!sameTarget(payload['htu'], policy.publicUrl + pathOf(context.url))) {
    throw invalid('The DPoP proof is for another URL (htu).');
  }
  const { iat, jti } = payload;
  const now = nowSeconds;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('The DPoP proof has no iat.');
  if (iat > now + context.clockSkewSeconds) {
    throw invalid('The DPoP proof was issued in the future (iat).');
  }
  if (iat < now - policy.maxAgeSeconds - context.clockSkewSeconds) {
    throw invalid('The DPoP proof is too old (iat).');
  }
  if (payload['ath'] !== accessTokenHash(context.accessToken)) {
    throw invalid('The DPoP proof is for another access token (ath).');
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_CHARS) {
    throw invalid('The DPoP proof has no valid jti.');
  }
  if ((await jwkThumbprint(jwk)) !== context.jkt) {
    throw invalid('The DPoP proof is signed by another key than the token is bound to.');
  }
  const nextNonce =
    policy.nonce === undefined
      ? undefined
      : checkProofNonce(policy.nonce, policy.algorithms, payload['nonce'], context.nowMs);
  // Last, so that an invalid proof never takes a place in the cache. A proof stays acceptable
  // until its iat is older than the window; iat may be up to the skew ahead of our clock.
  const windowMs = (policy.maxAgeSeconds + 2 * context.clockSkewSeconds) * 1000;
  let fresh: boolean;
  try {
    fresh = await policy.replay.remember(
      `${context.jkt}:${jti}`,
      context.nowMs + windowMs,
      context.nowMs,
    );
  } catch (error) {
    if (error instanceof ReplayCacheFull) throw gatewayError('auth.replay_cache_full');
    throw error;
  }
  if (!fresh) {
    throw dpopRefusal(policy, 'auth.dpop_replayed', 'The DPoP proof was already used.');
  }
  return nextNonce;
}

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 section 4.2). */
function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** `htu` and the expected URL, both normalised by the URL parser, without query or fragment. */
function sameTarget(htu: unknown, expected: string): boolean {
  if (typeof htu !== 'string' || htu.length > 4096) return false;
  try {
    const claimed = new URL(htu);
    const ours = new URL(expected);
    return claimed.origin === ours.origin && claimed.pathname === ours.pathname;
  } catch {
    return false;
  }
}
