/**
 * Android key attestation verifier (pure verification, no HTTP).
 *
 * What a caller (the attest stage) passes to `verifyKeyAttestation(chain, options)`:
 *
 * - `chain`: the DER certificates the app read with `KeyStore.getCertificateChain(alias)` for a
 *   key it generated with `KeyGenParameterSpec.Builder#setAttestationChallenge(challenge)`, leaf
 *   first (at most 10 certificates of at most 16 KiB each).
 * - `options.challenge`: the single-use challenge the gateway issued to this device (1–128 bytes);
 *   compared in constant time with the leaf's attestationChallenge.
 * - `options.now`: the verification instant in ms (the stage's injectable clock).
 * - `options.policy`: `packageNames` and `signingCertificateDigests` allowlists (required), and
 *   optionally `minimumSecurityLevel` (default trusted-environment: software-only attestation is
 *   refused), `allowedBootStates` (default ['verified']), `requireDeviceLocked` (default true).
 * - `options.revocation`: a `StatusListProvider`, normally `createStatusListSource(...)` started
 *   at boot; with no list younger than its max age the verdict is indeterminate.
 * - `options.trustAnchors`: optional, default Google's hardware attestation roots (roots.ts).
 *
 * It returns `Verdict<AndroidKeyEvidence, KeyAttestationReason>`; a valid verdict carries the
 * attested key as a JWK and its RFC 7638 thumbprint, which the stage compares with the DPoP key's
 * thumbprint so that only that hardware key can use the device's tokens.
 */
export { GOOGLE_HARDWARE_ATTESTATION_ROOTS, type PinnedRoot } from './roots.js';
export { googleTrustAnchors, trustAnchorsFrom, type TrustAnchor } from './chain.js';
export { MAX_CERTIFICATE_BYTES } from './certificate.js';
export {
  BOOT_STATES,
  KEY_DESCRIPTION_OID,
  SECURITY_LEVELS,
  type BootStateName,
  type SecurityLevelName,
} from './key-description.js';
export {
  DEFAULT_KEY_ATTESTATION_POLICY,
  type KeyAttestationPolicy,
  type KeyAttestationPolicyInput,
} from './policy.js';
export type { KeyAttestationReason } from './reasons.js';
export {
  DEFAULT_STATUS_LIST_LIMITS,
  fixedStatusList,
  noStatusList,
  parseStatusList,
  type CertificateStatus,
  type StatusList,
  type StatusListLimits,
  type StatusListProblem,
  type StatusListProvider,
} from './status-list.js';
export {
  GOOGLE_STATUS_LIST_URL,
  createStatusListSource,
  type FetchProblem,
  type StatusListSource,
  type StatusListSourceOptions,
} from './status-source.js';
export {
  MAX_CHAIN_LENGTH,
  MAX_CHALLENGE_BYTES,
  verifyKeyAttestation,
  type AndroidKeyEvidence,
  type KeyAttestationOptions,
} from './verify.js';
