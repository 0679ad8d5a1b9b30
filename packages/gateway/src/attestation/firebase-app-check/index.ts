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
