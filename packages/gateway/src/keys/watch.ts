import { isRampartError } from '@rampart/core';
import type { KeyReload, Keyring } from './keyring.js';
import { reloadKeyring } from './load.js';

/** How often a running gateway rereads its key files (and at every SIGHUP). */
export const KEY_RELOAD_INTERVAL_MS = 60_000;

export interface KeyWatchLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface KeyWatchOptions {
  readonly logger?: KeyWatchLogger | undefined;
  /** Default KEY_RELOAD_INTERVAL_MS. */
  readonly intervalMs?: number;
  /** Reload on this signal too (default SIGHUP); undefined in tests that drive reload(). */
  readonly signal?: NodeJS.Signals | undefined;
  readonly now?: () => number;
}

export interface KeyWatch {
  /** Rereads the key files now (what the timer and the signal do). */
  reload(): Promise<KeyReload>;
  stop(): void;
}

/**
 * Keeps a running gateway's keyring in step with its key files: every `intervalMs` and on
 * SIGHUP the files are reread (Keyring.reload), so that `rampart keys rotate` run by an
 * operator, or new key files rolled out to replicas, take effect without a restart. What
 * derives from the keys follows the keyring's `generation` (the embedded provider's JWKS,
 * signing key and cookie keys, the resource server's trust of it, DPoP nonces). A file that
 * cannot be reread leaves the held keys in place and is logged by name, never with material.
 */
export function watchKeyring(keyring: Keyring, options: KeyWatchOptions = {}): KeyWatch {
  const { logger } = options;
  const reload = async (): Promise<KeyReload> => {
    const result = await reloadKeyring(keyring, options.now);
    if (result.changed.length > 0) {
      logger?.info({ keys: result.changed, keyring: keyring.toJSON() }, 'keys reloaded');
    }
    for (const { name, error } of result.problems) {
      logger?.warn(
        { key: name, reason: isRampartError(error) ? error.message : 'unreadable' },
        'a key file could not be reread; the keys already loaded stay in use',
      );
    }
    return result;
  };
  const run = () => {
    reload().catch((error: unknown) => {
      logger?.warn({ reason: error instanceof Error ? error.name : 'error' }, 'key reload failed');
    });
  };
  const timer = setInterval(run, options.intervalMs ?? KEY_RELOAD_INTERVAL_MS);
  timer.unref();
  const signal = 'signal' in options ? options.signal : 'SIGHUP';
  if (signal !== undefined) process.on(signal, run);
  return {
    reload,
    stop() {
      clearInterval(timer);
      if (signal !== undefined) process.off(signal, run);
    },
  };
}
