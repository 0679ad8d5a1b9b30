import { DEFAULTS } from '../../src/config/index.js';
import type { AccountsConfig } from '../../src/config/accounts-schema.js';
import {
  argon2idHasher,
  createAccountAdmin,
  createAccountService,
  type AccountAdmin,
  type AccountService,
  type PasswordHasher,
} from '../../src/identity/accounts/index.js';
import { openKeyring, type Keyring } from '../../src/keys/index.js';
import type { Store } from '../../src/store/index.js';
import type { EngineFixture } from '../store/engines.js';

export const PUBLIC_URL = 'http://127.0.0.1:8787';
/** What a browser on the loopback dev setup reports (see relying-party.ts). */
export const ORIGIN = 'http://localhost:8787';
export const PASSWORD = 'correct horse battery staple';

/** The real argon2id hasher, with every verification counted (the structural timing test). */
export interface CountingHasher extends PasswordHasher {
  readonly verified: string[];
}

export function countingHasher(config: AccountsConfig): CountingHasher {
  const real = argon2idHasher(config.argon2);
  const verified: string[] = [];
  return {
    verified,
    hash: (password) => real.hash(password),
    verify: (phc, password) => {
      verified.push(phc);
      return real.verify(phc, password);
    },
  };
}

export interface AccountsHarness {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly service: AccountService;
  readonly admin: AccountAdmin;
  readonly hasher: CountingHasher;
  readonly clock: { now: number };
  readonly config: AccountsConfig;
  /** What the service logged at warn: fields and message. */
  readonly warnings: Array<{ fields: Record<string, unknown>; message: string }>;
}

/** A fresh store (on the fixture's engine), keyring and service with a frozen clock. */
export async function accountsHarness(
  fx: EngineFixture,
  overrides: Partial<AccountsConfig['bruteForce']> = {},
): Promise<AccountsHarness> {
  const settings = fx.fresh();
  const store = await fx.open(settings);
  const keyring = await openKeyring({ dataDir: settings.dataDir, sources: {} });
  const config: AccountsConfig = {
    ...DEFAULTS.accounts,
    bruteForce: { ...DEFAULTS.accounts.bruteForce, ...overrides },
  };
  const clock = { now: 1_800_000_000_000 };
  const hasher = countingHasher(config);
  const now = () => clock.now;
  const warnings: AccountsHarness['warnings'] = [];
  const service = createAccountService({
    db: store.db,
    keyring,
    config,
    publicUrl: PUBLIC_URL,
    now,
    hasher,
    logger: { warn: (fields, message) => warnings.push({ fields, message }) },
  });
  const admin = createAccountAdmin({ db: store.db, config, now, hasher });
  return { store, keyring, service, admin, hasher, clock, config, warnings };
}
