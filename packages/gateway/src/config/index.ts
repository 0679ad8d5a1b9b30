export {
  configSchema,
  DEFAULTS,
  type ConfigInput,
  type ModelConfig,
  type ProviderConfig,
} from './schema.js';
export { configJsonSchema, type OptionSchema } from './json-schema.js';
export { loadConfig, validateConfig, type Config, type LoadOptions } from './load.js';
export {
  describeSkipped,
  keySources,
  resolveProviderSettings,
  resolveSecrets,
  secretsError,
  type ResolvedSecrets,
  type SecretProblem,
  type SkippedProvider,
} from './secrets.js';
export { suggestName } from './problems.js';
