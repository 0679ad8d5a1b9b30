export { compactSegments, type CompactShapeProblem } from './compact.js';
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
