import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../schema.js';

/**
 * The devices and sessions registry and the revocations (identity/sessions/). Keys are
 * composite and natural — (tenant, issuer, subject, …) — because every read is "this subject's
 * rows in this tenant" and every write an upsert from the authenticate path. A principal
 * without a tenant is stored under the empty string.
 */
export function devicesSessions(_engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('devices')
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('issuer', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('jkt', 'text', (column) => column.notNull())
        .addColumn('first_seen_at', 'bigint', (column) => column.notNull())
        .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
        // Filled by the attestation work later (the platform's verdict on this key).
        .addColumn('attestation_state', 'text')
        .addPrimaryKeyConstraint('devices_pk', ['tenant', 'issuer', 'subject', 'jkt'])
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('issuer', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('device_jkt', 'text')
        .addColumn('first_seen_at', 'bigint', (column) => column.notNull())
        .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('sessions_pk', ['tenant', 'issuer', 'subject', 'session_id'])
        .execute();
      await db.schema
        .createTable('revocations')
        // 'device' (target: jkt), 'session' (target: sid) or 'subject' (target: '').
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('issuer', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('target', 'text', (column) => column.notNull())
        .addColumn('revoked_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('revocations_pk', [
          'kind',
          'tenant',
          'issuer',
          'subject',
          'target',
        ])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('revocations').execute();
      await db.schema.dropTable('sessions').execute();
      await db.schema.dropTable('devices').execute();
    },
  };
}
