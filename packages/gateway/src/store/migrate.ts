import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { gatewayError } from '../errors.js';
import type { StoreLogger } from './log.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database, Engine } from './schema.js';

/**
 * Brings the schema up to date at start-up. Kysely records applied migrations in
 * `kysely_migration` and, on PostgreSQL, holds an advisory lock meanwhile, so replicas starting
 * together apply each migration once. Migrations run in one transaction where the engine allows.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  engine: Engine,
  logger: StoreLogger | undefined,
): Promise<readonly string[]> {
  const migrator = new Migrator({
    db,
    // Kysely looks for its own tables by name across every schema unless told which one; in a
    // database shared with other schemas (or other Kysely apps) it would find theirs.
    ...(engine === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
    provider: {
      getMigrations: () => {
        const built: Record<string, Migration> = {};
        for (const [name, migration] of Object.entries(MIGRATIONS)) built[name] = migration(engine);
        return Promise.resolve(built);
      },
    },
  });
  // Kysely reports failures in the result set instead of throwing.
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : 'unknown error';
    const detail =
      failed === undefined
        ? `Database migrations could not run: ${reason}.${newerHint(reason)}`
        : `Database migration ${failed} failed: ${reason}. Fix the cause and restart.`;
    throw gatewayError('store.migration_failed', detail, {
      cause: error,
      extensions: failed === undefined ? {} : { migration: failed },
    });
  }
  if (applied.length > 0) logger?.info({ engine, migrations: applied }, 'database migrated');
  return applied;
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  const schema = rows[0]?.schema;
  if (!schema) {
    throw gatewayError(
      'store.migration_failed',
      'The PostgreSQL search_path names no existing schema to create tables in. Fix: create the schema or correct search_path.',
    );
  }
  return schema;
}

/** Kysely refuses a database that knows migrations this build does not: say what that means. */
function newerHint(reason: string): string {
  return /corrupted migrations/i.test(reason)
    ? ' The database was migrated by a newer Rampart: run that version, or restore a backup.'
    : '';
}
