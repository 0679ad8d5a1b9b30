import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../schema.js';

/** Local accounts, their recovery codes and passkeys (see AccountsTable for the columns). */
export function accounts(engine: Engine): Migration {
  // Text, bigint and boolean mean the same on both engines; only the engine name is unused.
  void engine;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('username', 'text', (column) => column.notNull())
        .addColumn('username_key', 'text', (column) => column.notNull().unique())
        .addColumn('tenant', 'text')
        .addColumn('roles', 'text', (column) => column.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('disabled', 'boolean', (column) => column.notNull())
        .addColumn('must_enroll_totp', 'boolean', (column) => column.notNull())
        .addColumn('totp_secret', 'text')
        .addColumn('totp_pending', 'text')
        .addColumn('totp_last_step', 'bigint')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('recovery_codes')
        .addColumn('account_id', 'text', (column) =>
          column.notNull().references('accounts.id').onDelete('cascade'),
        )
        .addColumn('code_hash', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('used_at', 'bigint')
        .addPrimaryKeyConstraint('recovery_codes_pk', ['account_id', 'code_hash'])
        .execute();
      await db.schema
        .createTable('passkey_credentials')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('account_id', 'text', (column) =>
          column.notNull().references('accounts.id').onDelete('cascade'),
        )
        .addColumn('public_key', 'text', (column) => column.notNull())
        .addColumn('counter', 'bigint', (column) => column.notNull())
        .addColumn('transports', 'text', (column) => column.notNull())
        .addColumn('device_type', 'text', (column) => column.notNull())
        .addColumn('backed_up', 'boolean', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('passkey_credentials_account')
        .on('passkey_credentials')
        .column('account_id')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('passkey_credentials').execute();
      await db.schema.dropTable('recovery_codes').execute();
      await db.schema.dropTable('accounts').execute();
    },
  };
}
