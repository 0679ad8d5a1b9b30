export { collectSse, type SseEvent } from './sse.js';
export { embed } from './embeddings.js';
export { MAX_BODY_BYTES, startMockUpstream } from './server.js';
export { DEMO_REPLY, MOCK_DEFAULTS, UPSTREAM_REPLY, type ResolvedOptions } from './options.js';
export {
  MOCK_FAULTS,
  isMockFault,
  type MockErrorResponse,
  type MockFault,
  type MockMode,
  type MockUpstream,
  type MockUpstreamOptions,
  type RecordedRequest,
} from './types.js';
export {
  accessTokenHash,
  createDpopKey,
  dpopProof,
  startMockIssuer,
  type DpopKey,
  type IssuerAlgorithm,
  type MockIssuer,
  type MockIssuerOptions,
  type ProofOptions,
  type TokenOptions,
} from './identity.js';
export { encodeCbor, type CborMap, type CborValue } from './cbor.js';
export {
  createSoftwareAuthenticator,
  type CeremonyOverrides,
  type SoftwareAuthenticator,
  type SoftwareAuthenticatorOptions,
  type SoftwareCredential,
} from './webauthn.js';
export {
  createCredentials,
  issuerConfigOf,
  type CredentialHeaders,
  type Credentials,
  type CredentialsOptions,
  type IssuerConfigEntry,
  type ProofRequestOptions,
} from './credentials.js';
export {
  PLAY_INTEGRITY_EXAMPLE,
  createPlayIntegrityKeys,
  examplePlayIntegrityVerdict,
  mintPlayIntegrityToken,
  type PlayIntegrityTestKeys,
  type PlayIntegrityTokenOptions,
  type PlayIntegrityVerdictJson,
} from './attestation/play-integrity.js';
export {
  startMockAppCheck,
  type AppCheckTokenOptions,
  type MockAppCheck,
  type MockAppCheckOptions,
} from './attestation/app-check.js';
export * from './attestation/app-attest.js';
export * from './attestation/key-attestation.js';
