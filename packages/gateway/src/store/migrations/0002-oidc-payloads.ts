import type { Kysely, Migration } from 'kysely';

/**
 * The embedded OAuth provider's state (oidc-provider models: sessions, interactions, grants,
 * authorization codes, refresh and access token records, DPoP replay entries…), one row per
 * model instance, so that a restart or another replica loses no grant. See OidcPayloadsTable.
 */
/** The same DDL on both engines: text, bigint epoch milliseconds, no engine-specific type. */
export function oidcPayloads(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('oidc_payloads')
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('payload', 'text', (column) => column.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('uid', 'text')
        .addColumn('user_code', 'text')
        .addColumn('expires_at', 'bigint')
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
        .execute();
      await db.schema
        .createIndex('oidc_payloads_grant_id')
        .on('oidc_payloads')
        .columns(['grant_id', 'model'])
        .execute();
      await db.schema
        .createIndex('oidc_payloads_uid')
        .on('oidc_payloads')
        .columns(['uid', 'model'])
        .execute();
      await db.schema
        .createIndex('oidc_payloads_user_code')
        .on('oidc_payloads')
        .columns(['user_code', 'model'])
        .execute();
      await db.schema
        .createIndex('oidc_payloads_expires_at')
        .on('oidc_payloads')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('oidc_payloads').execute();
    },
  };
}
