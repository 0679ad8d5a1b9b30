import { Kysely, sql, type Dialect } from 'kysely';
import { gatewayError } from '../errors.js';
import type { StoreLogger } from './log.js';
import { migrateToLatest } from './migrate.js';
import { assertPostgresUrl, postgresTarget, sqlState } from './postgres.js';
import type { Database, Engine } from './schema.js';
import { SQLITE_MEMORY_URL, sqliteTarget } from './sqlite.js';
import { UsageRepository } from './usage/repository.js';

export interface StoreSettings {
  /** `postgres://…` for PostgreSQL; unset for SQLite at `<dataDir>/rampart.db`. */
  readonly url: string | undefined;
  readonly dataDir: string;
  /** PostgreSQL only: the schema to create (if missing) and use; tests use one per file. */
  readonly schema?: string;
}

export interface Store {
  readonly engine: Engine;
  readonly db: Kysely<Database>;
  readonly usage: UsageRepository;
  /** Resolves when the database answers `SELECT 1` within `timeoutMs` (default 2 s). */
  ping(timeoutMs?: number): Promise<void>;
  /** Ends every connection. Idempotent; later calls to ping() reject with store.unavailable. */
  close(): Promise<void>;
}

const PING_TIMEOUT_MS = 2_000;
const OPEN_TIMEOUT_MS = 10_000;

/**
 * Opens the database named by the configuration and migrates it to the latest schema. Fails
 * with `store.unavailable` when the database cannot be reached and `store.migration_failed` when
 * the schema cannot be brought up to date: nothing is served on a half-migrated database.
 */
export async function openStore(settings: StoreSettings, logger?: StoreLogger): Promise<Store> {
  const { url } = settings;
  let engine: Engine;
  let target: { readonly dialect: Dialect; readonly describe: string };
  let redact = (text: string) => text;
  if (url === undefined || url === SQLITE_MEMORY_URL) {
    engine = 'sqlite';
    target = sqliteTarget(settings.dataDir, url === SQLITE_MEMORY_URL);
  } else {
    assertPostgresUrl(url);
    engine = 'postgres';
    const pgTarget = postgresTarget(url, settings.schema, logger);
    target = pgTarget;
    redact = pgTarget.redact;
  }
  const db = new Kysely<Database>({ dialect: target.dialect });
  try {
    await reach(db, target.describe, redact);
    if (engine === 'postgres' && settings.schema !== undefined) {
      await createSchema(db, settings.schema);
    }
    await migrateToLatest(db, engine, logger);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  logger?.info({ engine, target: target.describe }, 'store opened');
  return new KyselyStore(engine, db, target.describe, redact);
}

/** A first round trip, so that "cannot connect" is told apart from "migration failed". */
async function reach(db: Kysely<Database>, describe: string, redact: (t: string) => string) {
  try {
    await withTimeout(sql`select 1`.execute(db), OPEN_TIMEOUT_MS);
  } catch (error) {
    throw gatewayError(
      'store.unavailable',
      `Cannot reach the database (${describe}): ${redact(reasonOf(error))}.`,
      { cause: error },
    );
  }
}

async function createSchema(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (error) {
    // Two replicas creating it at once: the loser sees a duplicate, which is success.
    if (sqlState(error) !== '23505' && sqlState(error) !== '42P06') {
      throw gatewayError(
        'store.unavailable',
        `Cannot create database schema ${schema}: ${reasonOf(error)}.`,
        { cause: error },
      );
    }
  }
}

class KyselyStore implements Store {
  readonly usage: UsageRepository;
  #closing: Promise<void> | undefined;

  constructor(
    readonly engine: Engine,
    readonly db: Kysely<Database>,
    private readonly describe: string,
    private readonly redact: (text: string) => string,
  ) {
    this.usage = new UsageRepository(db);
  }

  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<void> {
    if (this.#closing) throw gatewayError('store.unavailable', 'The store is closed.');
    try {
      await withTimeout(sql`select 1`.execute(this.db), timeoutMs);
    } catch (error) {
      throw gatewayError(
        'store.unavailable',
        `The database (${this.describe}) did not answer: ${this.redact(reasonOf(error))}.`,
        { cause: error },
      );
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.db.destroy();
    return this.#closing;
  }

  toJSON(): object {
    return { engine: this.engine, target: this.describe };
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(reasonOf).join('; ');
  }
  return error instanceof Error ? error.message || error.name : String(error);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
