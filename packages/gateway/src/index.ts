export { buildApp, type AppDeps } from './app.js';
export * from './config/index.js';
export { GATEWAY_ERRORS, gatewayError, type GatewayErrorCode } from './errors.js';
export { createLogger, scrubSecrets } from './logging.js';
export { startGateway, type RunningGateway, type StartOptions } from './server.js';
export { DEMO_MODELS } from './demo.js';
export type * from './providers/types.js';
