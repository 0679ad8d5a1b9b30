/**
 * Why an App Attest attestation or assertion was refused. Local to this module: the attest
 * stage maps each reason to a catalogue code (`attest.*`), so these strings never reach a client.
 */
export type AppAttestReason =
  // Input shape (bounded decoding; see cbor.ts).
  | 'too_large'
  | 'cbor_malformed'
  | 'fmt_unsupported'
  | 'attestation_malformed'
  | 'assertion_malformed'
  | 'auth_data_malformed'
  // Certificate chain (chain.ts).
  | 'certificate_malformed'
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'chain_untrusted'
  // Attestation claims (attestation.ts).
  | 'nonce_missing'
  | 'nonce_mismatch'
  | 'key_id_mismatch'
  | 'credential_id_mismatch'
  | 'rp_id_mismatch'
  | 'counter_not_zero'
  | 'aaguid_unknown'
  | 'environment_forbidden'
  // Assertions (assertion.ts, client-data.ts, repository.ts).
  | 'client_data_malformed'
  | 'challenge_mismatch'
  | 'binding_mismatch'
  | 'signature_invalid'
  | 'counter_replay'
  | 'key_unknown';

/** Every reason, for tests that check each one is reachable and for the stage's mapping table. */
export const APP_ATTEST_REASONS = [
  'too_large',
  'cbor_malformed',
  'fmt_unsupported',
  'attestation_malformed',
  'assertion_malformed',
  'auth_data_malformed',
  'certificate_malformed',
  'certificate_expired',
  'certificate_not_yet_valid',
  'chain_untrusted',
  'nonce_missing',
  'nonce_mismatch',
  'key_id_mismatch',
  'credential_id_mismatch',
  'rp_id_mismatch',
  'counter_not_zero',
  'aaguid_unknown',
  'environment_forbidden',
  'client_data_malformed',
  'challenge_mismatch',
  'binding_mismatch',
  'signature_invalid',
  'counter_replay',
  'key_unknown',
] as const satisfies readonly AppAttestReason[];
