import type { Kysely } from 'kysely';
import type { AccountsConfig } from '../../config/accounts-schema.js';
import { gatewayError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import { argon2idHasher, MAX_PASSWORD_BYTES, type PasswordHasher } from './passwords.js';
import { fromSqlBool } from '../../store/schema.js';
import { AccountRepository, rolesOf, type AccountRow } from './repository.js';
import type { AccountView } from './service.js';
import { normalizeUsername } from './username.js';

/**
 * Operator actions on accounts (`rampart admin create-user`, `list-users`, `disable-user`, and
 * later the admin API): no login, no brute-force counters, no keyring needed.
 */
export interface AccountAdmin {
  /**
   * Creates an account. Throws `account.invalid` (username, role or tenant malformed),
   * `account.username_taken`, or `account.password_rejected`.
   */
  createAccount(input: NewAccountInput): Promise<AccountSummary>;
  /** Every account, by username. */
  listAccounts(): Promise<AccountSummary[]>;
  /** Disables (or re-enables) an account by username; false when there is none. */
  setDisabled(username: string, disabled: boolean): Promise<boolean>;
}

export interface NewAccountInput {
  readonly username: string;
  readonly password: string;
  readonly roles: readonly string[];
  readonly tenant?: string | undefined;
  /** Demand TOTP enrolment at first login (default: true when roles include `admin`). */
  readonly mustEnrollTotp?: boolean;
}

export interface AccountSummary extends AccountView {
  readonly disabled: boolean;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

export interface AccountAdminDeps {
  readonly db: Kysely<Database>;
  readonly config: AccountsConfig;
  readonly now?: () => number;
  readonly hasher?: PasswordHasher;
}

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * A short list of the passwords attackers try first (the top of every breach corpus); a full
 * breached-password check belongs to a later, offline-capable list.
 */
const COMMON = new Set([
  // For a minPasswordLength lowered below 12.
  '12345678',
  '123456789',
  '1234567890',
  'password',
  'password1',
  'password123',
  'qwertyuiop',
  'qwerty123',
  'iloveyou',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'welcome1',
  'abc12345',
  '123456789012',
  '1234567890123',
  'password1234',
  'password12345',
  'passwordpassword',
  'qwertyuiopas',
  'qwerty123456',
  '111111111111',
  '000000000000',
  'iloveyou1234',
  'adminadmin12',
  'administrator',
  'letmein12345',
  'welcome12345',
  'changeme1234',
  'aaaaaaaaaaaa',
  'abcdefghijkl',
  'abc123456789',
]);

export function createAccountAdmin(deps: AccountAdminDeps): AccountAdmin {
  const now = deps.now ?? Date.now;
  const repo = new AccountRepository(deps.db);
  const hasher = deps.hasher ?? argon2idHasher(deps.config.argon2);

  async function summary(row: AccountRow): Promise<AccountSummary> {
    return {
      id: row.id,
      username: row.username,
      tenant: row.tenant ?? undefined,
      roles: rolesOf(row),
      totpEnrolled: row.totp_secret !== null,
      passkeys: await repo.passkeyCount(row.id),
      mustEnrollTotp: fromSqlBool(row.must_enroll_totp),
      disabled: fromSqlBool(row.disabled),
      createdAt: Number(row.created_at),
    };
  }

  return {
    async createAccount(input) {
      const name = normalizeUsername(input.username);
      if (name === undefined) {
        throw gatewayError(
          'account.invalid',
          'username: expected 1–64 letters, digits or . _ @ + - (no spaces).',
        );
      }
      for (const role of input.roles) {
        if (!NAME.test(role)) {
          throw gatewayError(
            'account.invalid',
            `role ${JSON.stringify(role.slice(0, 64))}: expected a-z, 0-9, _ or -, starting with a letter.`,
          );
        }
      }
      if (input.tenant !== undefined && !NAME.test(input.tenant)) {
        throw gatewayError(
          'account.invalid',
          'tenant: expected a-z, 0-9, _ or -, starting with a letter.',
        );
      }
      checkPassword(input.password, name.key, deps.config.minPasswordLength);
      const roles = [...new Set(input.roles)].sort();
      const id = `acct_${crypto.randomUUID().replaceAll('-', '')}`;
      const created = await repo.insert({
        id,
        username: name.display,
        usernameKey: name.key,
        tenant: input.tenant,
        roles,
        passwordHash: await hasher.hash(input.password),
        mustEnrollTotp: input.mustEnrollTotp ?? roles.includes('admin'),
        now: now(),
      });
      if (!created) {
        throw gatewayError(
          'account.username_taken',
          'An account with this username already exists.',
        );
      }
      return summary((await repo.byId(id)) as AccountRow);
    },

    async listAccounts() {
      return Promise.all((await repo.list()).map(summary));
    },

    async setDisabled(username, disabled) {
      const name = normalizeUsername(username);
      const row = name === undefined ? undefined : await repo.byUsernameKey(name.key);
      if (row === undefined) return false;
      await repo.setDisabled(row.id, disabled, now());
      return true;
    },
  };
}

/** Never echoes the password: the messages say what is wrong with it, not what it is. */
function checkPassword(password: string, usernameKey: string, minLength: number): void {
  const length = [...password].length;
  if (length < minLength) {
    throw gatewayError(
      'account.password_rejected',
      `The password is shorter than ${minLength} characters.`,
    );
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw gatewayError(
      'account.password_rejected',
      `The password is longer than ${MAX_PASSWORD_BYTES} bytes.`,
    );
  }
  const folded = password.toLowerCase();
  if (folded === usernameKey || COMMON.has(folded)) {
    throw gatewayError(
      'account.password_rejected',
      'The password is the username or one of the most common passwords.',
    );
  }
}
