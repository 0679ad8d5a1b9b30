import type { RampartError } from '@rampart/core';
import {
  createRemoteJWKSet,
  decodeJwt,
  errors,
  jwtVerify,
  type FlattenedJWSInput,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Config } from '../../config/index.js';
import { gatewayError } from '../../errors.js';
import type { Principal } from '../exchange.js';
import { bearerRefusal } from './challenge.js';
import { principalOf } from './claims.js';
import { compactSegments } from './compact.js';
import { VerifiedTokens, type VerifyKey } from './verified-tokens.js';

type IssuerConfig = Config['auth']['issuers'][number];

/** Longest a JWKS fetch may take; beyond it the issuer is `unavailable` (fail closed, 503). */
export const JWKS_TIMEOUT_MS = 5_000;
/** After a fetch, an unknown `kid` triggers no new fetch for this long (jose's cooldown). */
export const JWKS_COOLDOWN_MS = 30_000;
/** Keys are refetched at the latest after this long. */
export const JWKS_MAX_AGE_MS = 600_000;

/** `typ` values an access token may carry (RFC 9068 or plain JWT); a DPoP proof is not one. */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);
/** An RFC 7638 SHA-256 thumbprint in base64url: 43 characters. */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/** A verified access token: the caller, and what DPoP needs to check the proof against it. */
export interface VerifiedToken {
  readonly principal: Principal;
  /** The issuer's clock skew, which also bounds DPoP proof times. */
  readonly clockSkewSeconds: number;
}

/** The key set could not be read: verification is indeterminate. */
export class IssuerUnavailable extends Error {
  constructor(cause: unknown) {
    super('JWKS unavailable', { cause });
  }
}

/** An issuer the verifier trusts, and where its keys come from. */
export interface TrustedIssuer {
  readonly config: Pick<
    IssuerConfig,
    'issuer' | 'audiences' | 'algorithms' | 'clockSkewSeconds' | 'claims'
  >;
  readonly key: JWTVerifyGetKey;
}

export interface TokenVerifier {
  /** Verifies a compact JWT (already bounded in size); throws a 401/503 RampartError. */
  verify(token: string, nowMs: number): Promise<VerifiedToken>;
}

/**
 * Verifies access tokens against the configured issuers. The issuer is picked by the token's
 * unverified `iss` from a fixed map, and its key comes only from that issuer's configured JWKS:
 * `jku`, `x5u`, `jwk` and `x5c` headers are never read, and the algorithms are pinned.
 */
export function createTokenVerifier(
  issuers: readonly IssuerConfig[],
  /** Issuers whose keys are local (the embedded provider): no JWKS fetch. */
  local: readonly TrustedIssuer[] = [],
): TokenVerifier {
  const trusted = new Map<string, TrustedIssuer>([
    ...issuers.map((config): [string, TrustedIssuer] => [
      config.issuer,
      { config, key: remoteKeys(config.jwksUri) },
    ]),
    ...local.map((entry): [string, TrustedIssuer] => [entry.config.issuer, entry]),
  ]);
  const verifiedTokens = new VerifiedTokens();
  return {
    async verify(token, nowMs) {
      const issuer = trusted.get(unverifiedIssuer(token));
      if (issuer === undefined) {
        throw bearerRefusal('auth.issuer_unknown', 'The token issuer is not trusted.');
      }
      const { config } = issuer;
      let payload: JWTPayload;
      let typ: unknown;
      const kept = await verifiedTokens.get(token, issuer.key);
      if (kept !== undefined) {
        // Only the clock can change a verified token's answer: jose's time checks, redone.
        try {
          checkTimes(kept.payload, nowMs, config.clockSkewSeconds);
        } catch (error) {
          verifiedTokens.delete(token);
          throw error;
        }
        ({ payload, typ } = kept);
      } else {
        // Canonical base64url only: jose accepts set low bits in a segment's last character, so
        // a mutated copy of a valid token would otherwise verify (compact.ts).
        if (typeof compactSegments(token, 3, Number.MAX_SAFE_INTEGER) === 'string') {
          throw bearerRefusal('auth.token_malformed', 'The token is not a compact JWT.');
        }
        let key: VerifyKey | undefined;
        let input: FlattenedJWSInput | undefined;
        try {
          const verified = await jwtVerify(
            token,
            async (header, flattened) => {
              input = flattened;
              key = await issuer.key(header, flattened);
              return key;
            },
            {
              issuer: config.issuer,
              audience: config.audiences,
              algorithms: config.algorithms,
              clockTolerance: config.clockSkewSeconds,
              requiredClaims: ['sub', 'exp'],
              currentDate: new Date(nowMs),
            },
          );
          payload = verified.payload;
          typ = verified.protectedHeader.typ;
          if (key !== undefined && input !== undefined) {
            verifiedTokens.set(token, {
              getKey: issuer.key,
              key,
              header: verified.protectedHeader,
              input,
              payload,
              typ,
            });
          }
        } catch (error) {
          throw refusalFor(error);
        }
      }
      if (typeof typ === 'string' && !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) {
        throw bearerRefusal('auth.token_invalid', 'The token is not an access token (typ).');
      }
      if (typeof payload.iat === 'number' && payload.iat > nowMs / 1000 + config.clockSkewSeconds) {
        throw bearerRefusal(
          'auth.token_not_yet_valid',
          'The token was issued in the future (iat).',
        );
      }
      const { sub } = payload;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
        throw bearerRefusal('auth.token_invalid', 'The token has no valid subject (sub).');
      }
      const cnf = payload['cnf'];
      if (cnf !== undefined) {
        const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as { jkt?: unknown }).jkt : cnf;
        if (typeof jkt !== 'string' || !JKT.test(jkt)) {
          throw bearerRefusal(
            'auth.token_invalid',
            'The token is bound by a confirmation method other than a DPoP key thumbprint (cnf.jkt).',
          );
        }
      }
      return {
        principal: principalOf({ ...payload, sub, iss: config.issuer }, config.claims),
        clockSkewSeconds: config.clockSkewSeconds,
      };
    },
  };
}

/**
 * jose's `nbf` and `exp` checks (jwt_claims_set.js), on a payload jose has validated (both are
 * numbers or absent), thrown as the jose errors refusalFor maps.
 */
function checkTimes(payload: JWTPayload, nowMs: number, toleranceSeconds: number): void {
  const now = Math.floor(nowMs / 1000);
  if (payload.nbf !== undefined && payload.nbf > now + toleranceSeconds) {
    throw refusalFor(
      new errors.JWTClaimValidationFailed(
        '"nbf" claim timestamp check failed',
        payload,
        'nbf',
        'check_failed',
      ),
    );
  }
  if (payload.exp !== undefined && payload.exp <= now - toleranceSeconds) {
    throw refusalFor(
      new errors.JWTExpired('"exp" claim timestamp check failed', payload, 'exp', 'check_failed'),
    );
  }
}

/** The `iss` of a token before verification: only to choose which keys to verify it with. */
function unverifiedIssuer(token: string): string {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw bearerRefusal('auth.token_malformed', 'The token is not a compact JWT.');
  }
  if (typeof iss !== 'string') {
    throw bearerRefusal('auth.issuer_unknown', 'The token names no issuer (iss).');
  }
  return iss;
}

/**
 * The issuer's JWKS through jose (cached, refetched on an unknown `kid` at most once per
 * cooldown, each fetch bounded). Any failure to obtain the key set — network, status, JSON,
 * timeout — becomes IssuerUnavailable; only "no such key" is the token's fault. Also used by
 * the Firebase App Check verifier (attestation/firebase-app-check) for Firebase's JWKS.
 */
export function remoteKeys(jwksUri: string): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: JWKS_TIMEOUT_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_MAX_AGE_MS,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys ||
        error instanceof errors.JOSENotSupported
      ) {
        throw error;
      }
      throw new IssuerUnavailable(error);
    }
  };
}

/** A jose failure as the catalogue code it means; details are ours, never the token's. */
function refusalFor(error: unknown): RampartError {
  if (error instanceof IssuerUnavailable) {
    return gatewayError(
      'auth.issuer_unavailable',
      "The token issuer's keys could not be fetched; retry later.",
      { cause: error.cause },
    );
  }
  if (error instanceof errors.JWTExpired) {
    return bearerRefusal('auth.token_expired', 'The token has expired.');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') {
      return bearerRefusal(
        'auth.token_not_yet_valid',
        `The token is not valid yet (${error.claim}).`,
      );
    }
    return bearerRefusal(
      'auth.token_invalid',
      `The token's ${claimName(error.claim)} claim is not accepted.`,
    );
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return bearerRefusal('auth.token_malformed', 'The token is not a well-formed signed JWT.');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return bearerRefusal(
      'auth.token_invalid',
      'The token algorithm is not accepted for its issuer.',
    );
  }
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return bearerRefusal('auth.token_invalid', "No key of the issuer's key set matches the token.");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return bearerRefusal('auth.token_invalid', 'The token signature is invalid.');
  }
  return bearerRefusal('auth.token_invalid', 'The token could not be verified.');
}

/** jose names the claim it checked; only known names are echoed. */
function claimName(claim: string): string {
  return ['iss', 'aud', 'sub', 'exp', 'nbf', 'iat', 'jti'].includes(claim) ? claim : 'a required';
}
