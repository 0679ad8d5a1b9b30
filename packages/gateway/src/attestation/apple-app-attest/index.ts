/**
 * Apple App Attest, verified offline (issue #19). Pure verification: the attest stage owns
 * challenges, policy and the mapping of reasons to `attest.*` codes.
 *
 * What a caller passes:
 * - to `verifyAttestation` (once per key, when the app registers it): the attestation object
 *   and key id bytes the app sent, the client data it attested — the bytes (normal case,
 *   hashed here with SHA-256; for a Rampart app the gateway-issued challenge) or a 32-byte
 *   `clientDataHash` —, the team id and bundle id, the environments policy allows, a clock,
 *   and optionally other roots (tests). On `valid`, persist the returned key with
 *   `AppAttestKeyRepository.insert` (bound to the subject and, when present, the DPoP jkt).
 * - to `verifyAssertion` (per request): the assertion bytes, the client data (the Rampart
 *   JSON shape of client-data.ts with the expected challenge, method, URL and body hash, or
 *   raw bytes that must begin with the challenge), the app identity, and the stored key and
 *   counter. On `valid`, call `AppAttestKeyRepository.advanceCounter` with the returned
 *   counter and refuse the request unless it says `advanced` (a concurrent replay lost).
 * Every outcome is a `Verdict` from @rampart/core; reasons are `AppAttestReason`.
 */
export {
  verifyAttestation,
  MAX_ATTESTATION_BYTES,
  type AppAttestEnvironment,
  type AppAttestKey,
  type AppIdentity,
  type AttestationRequest,
  type ClientDataInput,
} from './attestation.js';
export {
  verifyAssertion,
  MAX_ASSERTION_BYTES,
  type AcceptedAssertion,
  type AssertionRequest,
  type StoredAppAttestKey,
} from './assertion.js';
export {
  MAX_CLIENT_DATA_BYTES,
  parseRampartClientData,
  type AssertionClientData,
  type RampartClientData,
} from './client-data.js';
export { parseRoots } from './chain.js';
export { APP_ATTEST_REASONS, type AppAttestReason } from './reasons.js';
export {
  AppAttestKeyRepository,
  type AppAttestKeyRecord,
  type CounterAdvance,
  type NewAppAttestKey,
} from './repository.js';
export { APPLE_APP_ATTESTATION_ROOT_CA_PEM, APPLE_APP_ATTESTATION_ROOT_CA_SHA256 } from './root.js';
