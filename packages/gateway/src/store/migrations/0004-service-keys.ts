import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../schema.js';

/**
 * Service keys (`rk_<id>_<secret>`) for server-to-server callers: one row per key, holding
 * the SHA-256 of its secret, never the secret (see ServiceKeysTable for why a fast hash).
 */
export function serviceKeys(engine: Engine): Migration {
  const json = engine === 'postgres' ? 'jsonb' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('service_keys')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text')
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('secret_hash', 'text', (column) => column.notNull())
        .addColumn('roles', json, (column) => column.notNull())
        .addColumn('aliases', json)
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('created_by', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('service_keys_tenant')
        .on('service_keys')
        .column('tenant')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('service_keys').execute();
    },
  };
}
