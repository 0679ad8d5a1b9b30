/**
 * Every key Rampart needs: generated into `<dataDir>/keys/` in embedded mode, or read from a
 * file or environment variable when replicas must share it (docs/keys.md).
 */
export { checkKeySources, openKeyring, reloadKeyring, type KeySourceProblem } from './load.js';
export {
  KEY_RELOAD_INTERVAL_MS,
  watchKeyring,
  type KeyWatch,
  type KeyWatchLogger,
  type KeyWatchOptions,
} from './watch.js';
export {
  Keyring,
  type JwkSet,
  type KeyReload,
  type KeyringOptions,
  type KeySource,
  type KeySources,
} from './keyring.js';
export { KeyVersion } from './key-version.js';
export { KEY_SET_VERSION, parseKeySet, serializeKeySet } from './format.js';
export {
  DEFAULT_ROTATION_OVERLAP_MS,
  KEY_NAMES,
  KEY_SPECS,
  isKeyName,
  type KeyName,
  type KeySpec,
  type PublicKeyName,
} from './specs.js';
