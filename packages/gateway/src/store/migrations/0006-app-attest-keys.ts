import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../schema.js';

/**
 * Keys attested with Apple App Attest (attestation/apple-app-attest/repository.ts), keyed by
 * the key id. `counter` is the last assertion counter accepted; it only moves up, through a
 * compare-and-set, so two replicas that race on the same assertion cannot both accept it.
 */
export function appAttestKeys(_engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('app_attest_keys')
        .addColumn('key_id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('issuer', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('app_id', 'text', (column) => column.notNull())
        .addColumn('device_jkt', 'text')
        .addColumn('public_key', 'text', (column) => column.notNull())
        .addColumn('environment', 'text', (column) => column.notNull())
        .addColumn('receipt', 'text')
        .addColumn('counter', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('app_attest_keys_subject')
        .on('app_attest_keys')
        .columns(['tenant', 'issuer', 'subject'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('app_attest_keys').execute();
    },
  };
}
