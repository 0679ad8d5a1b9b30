import { indeterminate, invalid, valid, type Verdict } from '@rampart/core';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { ReplayCache } from '../../pipeline/authenticate/replay.js';
import { IssuerUnavailable, remoteKeys } from '../../pipeline/authenticate/verify.js';
import { compactSegments } from '../../pipeline/authenticate/compact.js';

/**
 * Firebase App Check tokens, verified locally as Firebase documents for custom backends
 * ("Verify App Check tokens from a custom backend"): a JWT signed RS256 with a key from
 * Firebase's JWKS, header `typ` JWT, `iss` https://firebaseappcheck.googleapis.com/<project
 * number>, `aud` listing projects/<project number>, `exp` and `iat` within the clock skew, and
 * `sub` the Firebase app id of one of the team's apps.
 *
 * The JWKS is fetched through the authenticate stage's `remoteKeys` (jose's remote key set:
 * cached, refetched on an unknown `kid` at most once per cooldown, each fetch time-bounded); a
 * key set that cannot be fetched makes the outcome `indeterminate('jwks_unavailable')`.
 *
 * Replay protection (Firebase's limited-use tokens) is on when a `replay` cache is passed: each
 * token's `jti` is then accepted once, until the token expires. Pass a cache of its own — a
 * MemoryReplayCache, or a RedisReplayCache with namespace `appcheck:jti` so that replicas share
 * it — not the DPoP one. A cache that cannot answer makes the outcome
 * `indeterminate('replay_store_unavailable')`, never valid.
 */

export const FIREBASE_APP_CHECK_JWKS_URI = 'https://firebaseappcheck.googleapis.com/v1/jwks';
export const FIREBASE_APP_CHECK_ISSUER_PREFIX = 'https://firebaseappcheck.googleapis.com/';
/** Longest token accepted, in characters (Firebase's are about 1 KiB). */
export const APP_CHECK_MAX_TOKEN_LENGTH = 4_096;
export const APP_CHECK_DEFAULT_SKEW_SECONDS = 30;
const MAX_SKEW_SECONDS = 300;

/** Why a token is refused (invalid) or could not be judged (indeterminate). */
export type AppCheckReason =
  | 'too_large'
  | 'token_malformed'
  | 'typ_mismatch'
  | 'algorithm_not_allowed'
  | 'key_unknown'
  | 'signature_invalid'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'expired'
  | 'from_future'
  | 'claims_invalid'
  | 'app_not_allowed'
  | 'jti_missing'
  | 'replayed'
  | 'jwks_unavailable'
  | 'replay_store_unavailable'
  | 'internal_error';

export interface AppCheckEvidence {
  /** The Firebase app id (`sub`), one of the configured ones. */
  readonly appId: string;
  /** `iat` and `exp`, milliseconds since the epoch. */
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /** True when the token's `jti` was consumed by the replay cache on this call. */
  readonly consumed: boolean;
}

export interface AppCheckVerifierOptions {
  /** The Firebase project number (digits), as in `iss` and `aud`. */
  readonly projectNumber: string;
  /** Firebase app ids (`1:<number>:android:<hex>`, …) whose tokens are accepted. */
  readonly appIds: readonly string[];
  /** Where Firebase's JWKS is served; default FIREBASE_APP_CHECK_JWKS_URI. */
  readonly jwksUri?: string;
  /** Allowed clock difference for `exp` and `iat`, in seconds (0 to 300); default 30. */
  readonly clockSkewSeconds?: number;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
  /** When set, each token's `jti` is accepted once (limited-use tokens). */
  readonly replay?: ReplayCache;
  /** Longest token accepted, in characters; default 4 096. */
  readonly maxTokenLength?: number;
}

export interface AppCheckVerifier {
  /** Verifies one App Check token (the `X-Firebase-AppCheck` value the app sent). */
  verify(token: string): Promise<Verdict<AppCheckEvidence, AppCheckReason>>;
}

type Refusal = Verdict<never, AppCheckReason>;

/** Throws a TypeError naming the option when the configuration is unusable. */
export function createAppCheckVerifier(options: AppCheckVerifierOptions): AppCheckVerifier {
  if (!/^\d{1,20}$/.test(options.projectNumber)) {
    throw new TypeError('App Check: projectNumber must be the numeric Firebase project number.');
  }
  if (options.appIds.length === 0 || options.appIds.some((id) => id.length === 0)) {
    throw new TypeError('App Check: appIds must list at least one Firebase app id.');
  }
  const skew = options.clockSkewSeconds ?? APP_CHECK_DEFAULT_SKEW_SECONDS;
  if (!Number.isInteger(skew) || skew < 0 || skew > MAX_SKEW_SECONDS) {
    throw new TypeError(
      `App Check: clockSkewSeconds must be an integer from 0 to ${MAX_SKEW_SECONDS}.`,
    );
  }
  const issuer = `${FIREBASE_APP_CHECK_ISSUER_PREFIX}${options.projectNumber}`;
  const audience = `projects/${options.projectNumber}`;
  const appIds = new Set(options.appIds);
  const maxLength = options.maxTokenLength ?? APP_CHECK_MAX_TOKEN_LENGTH;
  const keys: JWTVerifyGetKey = remoteKeys(options.jwksUri ?? FIREBASE_APP_CHECK_JWKS_URI);

  return {
    async verify(token) {
      const shape = compactSegments(token, 3, maxLength);
      if (typeof shape === 'string') {
        return invalid(
          shape,
          shape === 'too_large'
            ? `The token is longer than ${maxLength} characters.`
            : 'The token is not a compact JWS in canonical base64url.',
        );
      }
      try {
        const nowMs = options.now();
        let payload: JWTPayload;
        try {
          ({ payload } = await jwtVerify(token, keys, {
            algorithms: ['RS256'],
            typ: 'JWT',
            issuer,
            audience,
            clockTolerance: skew,
            currentDate: new Date(nowMs),
            requiredClaims: ['sub', 'exp', 'iat'],
          }));
        } catch (error) {
          return refusalFor(error);
        }
        const { sub, exp, iat, jti } = payload;
        // jose has checked exp and iat are numbers and exp is not past.
        if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string') {
          return invalid('claims_invalid', 'The token lacks sub, exp or iat.');
        }
        if (iat > nowMs / 1000 + skew) {
          return invalid('from_future', 'The token was issued in the future (iat).');
        }
        if (!appIds.has(sub)) {
          return invalid('app_not_allowed', 'The token belongs to an app that is not accepted.');
        }
        let consumed = false;
        if (options.replay !== undefined) {
          if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
            return invalid('jti_missing', 'Replay protection needs a token id (jti).');
          }
          let fresh: boolean;
          try {
            fresh = await options.replay.remember(jti, (exp + skew) * 1000, nowMs);
          } catch {
            return indeterminate('replay_store_unavailable', 'The replay cache did not answer.');
          }
          if (!fresh) return invalid('replayed', 'The token was already used.');
          consumed = true;
        }
        return valid({ appId: sub, issuedAtMs: iat * 1000, expiresAtMs: exp * 1000, consumed });
      } catch {
        // Every expected failure is mapped above; reaching here is a fault of ours. Fail closed.
        return indeterminate('internal_error', 'The token could not be judged.');
      }
    },
  };
}

/** A jose failure as the reason it means; details are ours, never the token's. */
function refusalFor(error: unknown): Refusal {
  if (error instanceof IssuerUnavailable) {
    return indeterminate('jwks_unavailable', "Firebase's key set could not be fetched.");
  }
  if (error instanceof errors.JWTExpired) return invalid('expired', 'The token has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') {
      return invalid('claims_invalid', 'A required claim is missing or malformed.');
    }
    switch (error.claim) {
      case 'typ':
        return invalid('typ_mismatch', 'The token header typ is not JWT.');
      case 'iss':
        return invalid('issuer_mismatch', 'The token was not issued for this project.');
      case 'aud':
        return invalid('audience_mismatch', 'The token is not meant for this project.');
      case 'iat':
      case 'nbf':
        return invalid('from_future', `The token is not valid yet (${error.claim}).`);
      default:
        return invalid('claims_invalid', 'A required claim is missing or malformed.');
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return invalid('algorithm_not_allowed', 'The token algorithm is not RS256.');
  }
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return invalid('key_unknown', "No key of Firebase's key set matches the token.");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalid('signature_invalid', 'The token signature is invalid.');
  }
  return invalid('token_malformed', 'The token is not a well-formed signed JWT.');
}
