import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../schema.js';

/** The first table: one row per allowed request (see UsageEventsTable for the conventions). */
export function usageEvents(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('usage_events')
        // SQLite assigns ids only to a column declared exactly INTEGER PRIMARY KEY (a rowid
        // alias); PostgreSQL needs an identity column.
        .addColumn('id', engine === 'postgres' ? 'bigint' : 'integer', (column) =>
          engine === 'postgres'
            ? column.primaryKey().generatedAlwaysAsIdentity()
            : column.primaryKey(),
        )
        .addColumn('request_id', 'text', (column) => column.notNull())
        .addColumn('occurred_at', 'bigint', (column) => column.notNull())
        .addColumn('route', 'text', (column) => column.notNull())
        .addColumn('model_alias', 'text', (column) => column.notNull())
        .addColumn('provider', 'text', (column) => column.notNull())
        .addColumn('upstream_model', 'text', (column) => column.notNull())
        .addColumn('status', 'integer', (column) => column.notNull())
        .addColumn('outcome', 'text')
        .addColumn('prompt_tokens', 'integer')
        .addColumn('completion_tokens', 'integer')
        .addColumn('latency_ms', 'integer', (column) => column.notNull())
        .addColumn('streamed', 'boolean', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('usage_events_occurred_at')
        .on('usage_events')
        .column('occurred_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('usage_events').execute();
    },
  };
}
