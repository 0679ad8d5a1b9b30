/**
 * Firebase App Check verifier (issue #19 item 4). A caller builds one verifier at start-up
 * and calls it per request with the `X-Firebase-AppCheck` header value:
 *
 * ```ts
 * const appCheck = createAppCheckVerifier({
 *   projectNumber: '123456789012',
 *   appIds: ['1:123456789012:android:0a1b2c3d4e5f6789'],
 *   now: () => Date.now(),
 *   // optional: each jti accepted once (limited-use tokens), shared by replicas through Redis
 *   replay: new RedisReplayCache(redis.client, 'appcheck:jti'),
 * });
 * const verdict = await appCheck.verify(header);
 * ```
 *
 * `valid(AppCheckEvidence)`, `invalid(AppCheckReason)`, or `indeterminate` when Firebase's key
 * set or the replay cache cannot be reached (`jwks_unavailable`, `replay_store_unavailable`).
 */
export {
  APP_CHECK_DEFAULT_SKEW_SECONDS,
  APP_CHECK_MAX_TOKEN_LENGTH,
  FIREBASE_APP_CHECK_ISSUER_PREFIX,
  FIREBASE_APP_CHECK_JWKS_URI,
  createAppCheckVerifier,
  type AppCheckEvidence,
  type AppCheckReason,
  type AppCheckVerifier,
  type AppCheckVerifierOptions,
} from './verify.js';
