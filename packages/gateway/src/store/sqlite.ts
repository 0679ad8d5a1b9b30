import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import { gatewayError } from '../errors.js';

export const SQLITE_FILE = 'rampart.db';
/** The URL tests may pass for a throw-away database in memory. */
export const SQLITE_MEMORY_URL = 'sqlite::memory:';

export interface SqliteTarget {
  readonly dialect: SqliteDialect;
  /** Where the data lives, for logs and errors. */
  readonly describe: string;
}

/**
 * The embedded engine: one file under the data directory. The directory is created 0700 and the
 * file 0600 before SQLite opens it, because SQLite gives its -wal and -shm companions the mode
 * of the main file, and the database will hold accounts and audit events, not just counters.
 */
export function sqliteTarget(dataDir: string, memory: boolean): SqliteTarget {
  const path = memory ? ':memory:' : join(resolve(dataDir), SQLITE_FILE);
  try {
    if (!memory) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
    }
    const database = new SqliteDatabase(path, { timeout: 5_000 });
    // WAL lets readers run while the recorder writes; NORMAL sync is durable across a process
    // crash in WAL mode, which is the failure an embedded gateway must survive.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    return {
      dialect: new SqliteDialect({ database: withStatementCache(database) }),
      describe: `sqlite ${path}`,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw gatewayError(
      'store.unavailable',
      `Cannot open the SQLite database ${path}: ${reason}. Fix: make dataDir writable by this user, or set database.url.`,
      { cause: error },
    );
  }
}

/** Most prepared statements kept; Kysely's SQL texts are few (placeholders, not values). */
const MAX_CACHED_STATEMENTS = 256;

/**
 * Kysely's SQLite driver prepares every query again (`database.prepare(sql)` per call), which
 * measured about 40 µs of the ~90 µs an App Attest counter update costs. better-sqlite3's
 * statements are reusable and SQLite re-prepares one itself after a schema change, so the
 * statements are kept per SQL text, the least recently used dropped beyond the bound. Safe
 * because every query runs to completion synchronously (the gateway never streams rows, which
 * would hold a statement busy while another query wanted it).
 */
function withStatementCache(database: SqliteDatabase.Database) {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement !== undefined) {
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= MAX_CACHED_STATEMENTS) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
