/**
 * Google Play Integrity verifier (issue #19 item 2). A caller builds one verifier at start-up
 * and calls it per request:
 *
 * ```ts
 * const playIntegrity = createPlayIntegrityVerifier({
 *   keys: { decryptionKey, verificationKey }, // base64 text from Play Console (secrets: env/file)
 *   policy: { packageName: 'com.example.app' }, // every other rule has a strict default
 *   now: () => Date.now(),                      // tests pin it
 * });
 * const verdict = await playIntegrity.verify(tokenFromTheApp, { kind: 'standard', requestHash });
 * // or { kind: 'classic', nonce } with the nonce the gateway issued for this request
 * ```
 *
 * The binding is the caller's to compute: for standard requests the hash the app was told to
 * pass (e.g. SHA-256 of the request it protects), for classic requests the nonce the gateway
 * issued. Keeping that nonce single-use and short-lived is the caller's job (the challenge
 * store); this verifier checks the token carries it, is fresh, and passes policy. The outcome
 * is a Verdict: `valid(PlayIntegrityEvidence)` or `invalid(PlayIntegrityReason)`; nothing here
 * needs the network, so `indeterminate` only reports an internal fault (fail closed).
 */
export {
  importPlayIntegrityKeys,
  type PlayIntegrityKeyMaterial,
  type PlayIntegrityKeys,
} from './keys.js';
export {
  DEVICE_INTEGRITY_LEVELS,
  PLAY_INTEGRITY_DEFAULTS,
  normalizeDigest,
  type AppLicensingVerdict,
  type AppRecognitionVerdict,
  type AppsDetected,
  type DeviceIntegrityLevel,
  type PlayIntegrityPolicy,
  type PlayProtectVerdict,
} from './policy.js';
export { type PlayIntegrityEvidence } from './verdict-format.js';
export {
  PLAY_INTEGRITY_MAX_TOKEN_LENGTH,
  createPlayIntegrityVerifier,
  type PlayIntegrityBinding,
  type PlayIntegrityReason,
  type PlayIntegrityVerifier,
  type PlayIntegrityVerifierOptions,
} from './verify.js';
