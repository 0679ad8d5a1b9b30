import type { GatewayErrorCode } from '../errors.js';
import type { KeyAttestationReason } from './android-key-attestation/index.js';
import type { AppAttestReason } from './apple-app-attest/index.js';
import type { AppCheckReason } from './firebase-app-check/index.js';
import type { PlayIntegrityReason } from './play-integrity/index.js';

/**
 * What a client sees for each verifier reason: one catalogue code per kind of failure, the
 * same across platforms (an expired certificate is `attest.certificate_expired` on iOS and
 * Android), with the platform and reason in the problem's detail. Checked to be total by
 * `satisfies`, so a new reason cannot reach a client unmapped.
 */
type AttestCode = Extract<GatewayErrorCode, `attest.${string}`>;

export const APP_ATTEST_CODES = {
  too_large: 'attest.malformed',
  cbor_malformed: 'attest.malformed',
  fmt_unsupported: 'attest.malformed',
  attestation_malformed: 'attest.malformed',
  assertion_malformed: 'attest.malformed',
  auth_data_malformed: 'attest.malformed',
  certificate_malformed: 'attest.malformed',
  certificate_expired: 'attest.certificate_expired',
  certificate_not_yet_valid: 'attest.certificate_expired',
  chain_untrusted: 'attest.chain_untrusted',
  nonce_missing: 'attest.challenge_mismatch',
  nonce_mismatch: 'attest.challenge_mismatch',
  key_id_mismatch: 'attest.challenge_mismatch',
  credential_id_mismatch: 'attest.challenge_mismatch',
  rp_id_mismatch: 'attest.app_mismatch',
  counter_not_zero: 'attest.counter_replay',
  aaguid_unknown: 'attest.app_mismatch',
  environment_forbidden: 'attest.app_mismatch',
  client_data_malformed: 'attest.malformed',
  challenge_mismatch: 'attest.challenge_mismatch',
  binding_mismatch: 'attest.challenge_mismatch',
  signature_invalid: 'attest.signature_invalid',
  counter_replay: 'attest.counter_replay',
  key_unknown: 'attest.key_unknown',
} as const satisfies Record<AppAttestReason, AttestCode>;

export const PLAY_INTEGRITY_CODES = {
  too_large: 'attest.malformed',
  token_malformed: 'attest.malformed',
  algorithm_not_allowed: 'attest.malformed',
  decrypt_failed: 'attest.signature_invalid',
  signature_invalid: 'attest.signature_invalid',
  verdict_malformed: 'attest.malformed',
  package_mismatch: 'attest.app_mismatch',
  nonce_mismatch: 'attest.challenge_mismatch',
  request_hash_mismatch: 'attest.challenge_mismatch',
  stale: 'attest.stale',
  from_future: 'attest.stale',
  app_unrecognized: 'attest.app_mismatch',
  certificate_not_allowed: 'attest.app_mismatch',
  device_integrity_insufficient: 'attest.device_integrity',
  unlicensed: 'attest.device_integrity',
  play_protect_risk: 'attest.device_integrity',
  app_access_risk: 'attest.device_integrity',
  internal_error: 'attest.unavailable',
} as const satisfies Record<PlayIntegrityReason, AttestCode>;

export const APP_CHECK_CODES = {
  too_large: 'attest.malformed',
  token_malformed: 'attest.malformed',
  typ_mismatch: 'attest.malformed',
  algorithm_not_allowed: 'attest.malformed',
  key_unknown: 'attest.signature_invalid',
  signature_invalid: 'attest.signature_invalid',
  issuer_mismatch: 'attest.app_mismatch',
  audience_mismatch: 'attest.app_mismatch',
  expired: 'attest.stale',
  from_future: 'attest.stale',
  claims_invalid: 'attest.malformed',
  app_not_allowed: 'attest.app_mismatch',
  jti_missing: 'attest.malformed',
  replayed: 'attest.replayed',
  jwks_unavailable: 'attest.unavailable',
  replay_store_unavailable: 'attest.unavailable',
  internal_error: 'attest.unavailable',
} as const satisfies Record<AppCheckReason, AttestCode>;

export const ANDROID_KEY_CODES = {
  certificate_malformed: 'attest.malformed',
  too_large: 'attest.malformed',
  chain_untrusted: 'attest.chain_untrusted',
  certificate_expired: 'attest.certificate_expired',
  certificate_not_yet_valid: 'attest.certificate_expired',
  certificate_revoked: 'attest.certificate_revoked',
  status_list_unavailable: 'attest.unavailable',
  extension_missing: 'attest.malformed',
  extension_malformed: 'attest.malformed',
  extension_misplaced: 'attest.chain_untrusted',
  challenge_mismatch: 'attest.challenge_mismatch',
  security_level_too_low: 'attest.device_integrity',
  boot_state_unverified: 'attest.device_integrity',
  device_unlocked: 'attest.device_integrity',
  package_forbidden: 'attest.app_mismatch',
  signing_digest_forbidden: 'attest.app_mismatch',
} as const satisfies Record<KeyAttestationReason, AttestCode>;
