import type { Kysely, Selectable } from 'kysely';
import type { AccountsTable, Database, PasskeyCredentialsTable } from '../../store/schema.js';

/**
 * The accounts tables through Kysely, the same on SQLite and PostgreSQL. Every check-and-set
 * that guards a one-time use (a TOTP step, a recovery code, a passkey counter) is one
 * conditional UPDATE whose row count says whether this caller won: two concurrent logins with
 * the same code cannot both succeed.
 */
export type AccountRow = Selectable<AccountsTable>;
export type PasskeyRow = Selectable<PasskeyCredentialsTable>;

export interface NewAccount {
  readonly id: string;
  readonly username: string;
  readonly usernameKey: string;
  readonly tenant: string | undefined;
  readonly roles: readonly string[];
  readonly passwordHash: string | undefined;
  readonly mustEnrollTotp: boolean;
  readonly now: number;
}

export interface NewPasskey {
  readonly id: string;
  readonly accountId: string;
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly deviceType: string;
  readonly backedUp: boolean;
  readonly now: number;
}

export class AccountRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** False when the username (its folded key) is taken. */
  async insert(account: NewAccount): Promise<boolean> {
    const result = await this.db
      .insertInto('accounts')
      .values({
        id: account.id,
        username: account.username,
        username_key: account.usernameKey,
        tenant: account.tenant ?? null,
        roles: JSON.stringify(account.roles),
        password_hash: account.passwordHash ?? null,
        disabled: 0,
        must_enroll_totp: account.mustEnrollTotp ? 1 : 0,
        totp_secret: null,
        totp_pending: null,
        totp_last_step: null,
        created_at: account.now,
        updated_at: account.now,
      })
      .onConflict((conflict) => conflict.column('username_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  byId(id: string): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byUsernameKey(key: string): Promise<AccountRow | undefined> {
    return this.db
      .selectFrom('accounts')
      .selectAll()
      .where('username_key', '=', key)
      .executeTakeFirst();
  }

  list(): Promise<AccountRow[]> {
    return this.db.selectFrom('accounts').selectAll().orderBy('username_key').execute();
  }

  async setDisabled(id: string, disabled: boolean, now: number): Promise<void> {
    await this.db
      .updateTable('accounts')
      .set({ disabled: disabled ? 1 : 0, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  async setPasswordHash(id: string, passwordHash: string, now: number): Promise<void> {
    await this.db
      .updateTable('accounts')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  async setPendingTotp(id: string, sealed: string, now: number): Promise<void> {
    await this.db
      .updateTable('accounts')
      .set({ totp_pending: sealed, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Makes the pending secret the account's TOTP secret, remembers `step` as used, clears
   * `must_enroll_totp` and replaces the recovery codes — in one transaction. False when the
   * pending secret changed meanwhile (a concurrent restart of the enrolment).
   */
  async confirmTotp(
    id: string,
    pending: string,
    step: number,
    recoveryHashes: readonly string[],
    now: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('accounts')
        .set({
          totp_secret: pending,
          totp_pending: null,
          totp_last_step: step,
          must_enroll_totp: 0,
          updated_at: now,
        })
        .where('id', '=', id)
        .where('totp_pending', '=', pending)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom('recovery_codes').where('account_id', '=', id).execute();
      await trx
        .insertInto('recovery_codes')
        .values(
          recoveryHashes.map((hash) => ({
            account_id: id,
            code_hash: hash,
            created_at: now,
            used_at: null,
          })),
        )
        .execute();
      return true;
    });
  }

  /** Accepts TOTP step `step` once: true only if it is later than every step accepted before. */
  async useTotpStep(id: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('accounts')
      .set({ totp_last_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Spends a recovery code: true once per code, false if unknown or already spent. */
  async spendRecoveryCode(id: string, hash: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('recovery_codes')
      .set({ used_at: now })
      .where('account_id', '=', id)
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async unusedRecoveryCodes(id: string): Promise<number> {
    const row = await this.db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('account_id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  passkeys(accountId: string): Promise<PasskeyRow[]> {
    return this.db
      .selectFrom('passkey_credentials')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  }

  async passkeyCount(accountId: string): Promise<number> {
    const row = await this.db
      .selectFrom('passkey_credentials')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  passkey(credentialId: string): Promise<PasskeyRow | undefined> {
    return this.db
      .selectFrom('passkey_credentials')
      .selectAll()
      .where('id', '=', credentialId)
      .executeTakeFirst();
  }

  /** False when the credential id is already registered (to this or another account). */
  async insertPasskey(passkey: NewPasskey): Promise<boolean> {
    const result = await this.db
      .insertInto('passkey_credentials')
      .values({
        id: passkey.id,
        account_id: passkey.accountId,
        public_key: passkey.publicKey,
        counter: passkey.counter,
        transports: JSON.stringify(passkey.transports),
        device_type: passkey.deviceType,
        backed_up: passkey.backedUp ? 1 : 0,
        created_at: passkey.now,
        last_used_at: null,
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /**
   * Records a use. The counter moves only forward (`previous` is what verification compared
   * against): false when another login stored a counter meanwhile, i.e. a cloned authenticator
   * raced this one. Authenticators that keep no counter report 0 forever; those always pass.
   */
  async usePasskey(
    credentialId: string,
    previous: number,
    counter: number,
    backedUp: boolean,
    now: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('passkey_credentials')
      .set({ counter, backed_up: backedUp ? 1 : 0, last_used_at: now })
      .where('id', '=', credentialId)
      .where('counter', '=', previous)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

export function rolesOf(row: AccountRow): string[] {
  const parsed: unknown = JSON.parse(row.roles);
  return Array.isArray(parsed) ? parsed.filter((r): r is string => typeof r === 'string') : [];
}
