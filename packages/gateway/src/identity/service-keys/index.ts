/**
 * Service keys for server-to-server callers (`rk_<id>_<secret>`): the format, and the store's
 * repository. The `/v1` verifier is pipeline/authenticate/service-key.ts; the `rampart admin`
 * verbs are packages/cli/src/commands/admin/service-keys.ts.
 */
export {
  generateServiceKey,
  hashServiceKeySecret,
  parseServiceKey,
  secretMatches,
  SERVICE_KEY_PREFIX,
  type ServiceKeyParts,
} from './format.js';
export {
  ServiceKeyRepository,
  type NewServiceKey,
  type RevokeResult,
  type ServiceKey,
  type StoredServiceKey,
} from './repository.js';
