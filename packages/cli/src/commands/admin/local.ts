import { loadConfig, openStore, type Config, type Store } from '@rampart/gateway';

export interface LocalStore {
  readonly config: Config;
  readonly store: Store;
}

/**
 * Opens (and migrates) the store the configuration names — SQLite under `dataDir` by default,
 * PostgreSQL when `database.url` is set — for a local admin verb. The caller closes it.
 * Throws the gateway's `config.*` or `store.*` RampartError, which main.ts prints.
 */
export async function openLocalStore(configFile: string | undefined): Promise<LocalStore> {
  const config = loadConfig({ file: configFile, env: process.env });
  const store = await openStore({ url: config.database.url, dataDir: config.dataDir });
  return { config, store };
}
