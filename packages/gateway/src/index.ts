export { buildApp, type AppDeps } from './app.js';
export * from './config/index.js';
export { GATEWAY_ERRORS, gatewayError, type GatewayErrorCode } from './errors.js';
export { createLogger, scrubSecrets } from './logging.js';
export { startGateway, type RunningGateway, type StartOptions } from './server.js';
export { DEMO_MODELS } from './demo.js';
export {
  DEV_TOKEN_TTL_SECONDS,
  devTokensAccepted,
  mintDevToken,
} from './identity/dev-token/index.js';
export { openStore, type Store, type StoreSettings } from './store/index.js';
export { isKeyName, KEY_NAMES, openKeyring, type Keyring, type KeyName } from './keys/index.js';
export type * from './providers/types.js';
export { CHAT_PARAMETERS, EMBEDDING_PARAMETERS } from './pipeline/parse/parameters.js';
export { EXTRA_PARAMETERS } from './pipeline/parse/extensions.js';
export { ANTHROPIC_PARAMETERS } from './providers/anthropic/unsupported.js';
export * from './identity/accounts/index.js';
export { openRedis, describeRedisUrl, type RedisConnection } from './redis/index.js';
export {
  localSessionService,
  SessionRepository,
  SessionService,
  Revocations,
  type RevocationHooks,
  type SessionsRuntime,
} from './identity/sessions/index.js';
export {
  parseServiceKey,
  ServiceKeyRepository,
  type NewServiceKey,
  type RevokeResult,
  type ServiceKey,
} from './identity/service-keys/index.js';
export {
  ADMIN_PREFIX,
  checkServiceKeyRequest,
  CLI_FIELDS,
  mustEnrollTotpFor,
  setAccountDisabled,
  type DisableOutcome,
  type ServiceKeyRequest,
} from './admin/index.js';
