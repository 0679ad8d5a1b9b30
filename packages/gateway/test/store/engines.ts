import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { describe, onTestFinished } from 'vitest';
import {
  openStore,
  SQLITE_FILE,
  type Engine,
  type Store,
  type StoreLogger,
  type StoreSettings,
  type UsageEvent,
} from '../../src/store/index.js';
import { describeWithPg, withClient } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';

/** What the shared store suite needs from an engine: fresh locations and raw SQL access. */
export interface EngineFixture {
  readonly engine: Engine;
  /** Settings for a new, empty database (a temp dir, or a new schema). */
  fresh(): StoreSettings;
  /** Opens a store that is closed when the test finishes. */
  open(settings: StoreSettings, logger?: StoreLogger): Promise<Store>;
  /** Runs SQL behind the store's back (to corrupt or inspect a database). */
  exec(settings: StoreSettings, statement: string): Promise<Array<Record<string, unknown>>>;
}

/** Declares the same tests for SQLite (always) and PostgreSQL (when RAMPART_TEST_PG_URL is set). */
export function describeEachEngine(name: string, fn: (fixture: EngineFixture) => void): void {
  describe(`${name} [sqlite]`, () => fn(sqliteFixture));
  describeWithPg(`${name} [postgres]`, (url, schema) => fn(postgresFixture(url, schema)));
}

async function openForTest(settings: StoreSettings, logger?: StoreLogger): Promise<Store> {
  const store = await openStore(settings, logger);
  onTestFinished(() => store.close());
  return store;
}

const sqliteFixture: EngineFixture = {
  engine: 'sqlite',
  fresh: () => ({ url: undefined, dataDir: tempDir('rampart-store-') }),
  open: openForTest,
  exec: (settings, statement) => {
    const database = new SqliteDatabase(join(settings.dataDir, SQLITE_FILE));
    try {
      const prepared = database.prepare(statement);
      if (prepared.reader) return Promise.resolve(prepared.all() as Array<Record<string, unknown>>);
      prepared.run();
      return Promise.resolve([]);
    } finally {
      database.close();
    }
  },
};

function postgresFixture(url: string, schema: string): EngineFixture {
  let next = 0;
  return {
    engine: 'postgres',
    fresh: () => {
      next += 1;
      return { url, dataDir: tempDir('rampart-store-'), schema: `${schema}_${next}` };
    },
    open: openForTest,
    exec: (settings, statement) =>
      withClient(url, async (client: pg.Client) => {
        if (settings.schema !== undefined) {
          await client.query(`create schema if not exists ${pg.escapeIdentifier(settings.schema)}`);
          await client.query(`set search_path to ${pg.escapeIdentifier(settings.schema)}`);
        }
        const result = await client.query<Record<string, unknown>>(statement);
        return result.rows;
      }),
  };
}

let sequence = 0;

/** A usage event with distinct, recognisable values; `overrides` adjust one field or two. */
export function usageEvent(overrides: Partial<UsageEvent> = {}): UsageEvent {
  sequence += 1;
  return {
    requestId: `req-${sequence}`,
    occurredAt: 1_700_000_000_000 + sequence,
    route: '/v1/chat/completions',
    modelAlias: 'chat',
    provider: 'mock',
    upstreamModel: 'upstream-chat',
    status: 200,
    outcome: null,
    promptTokens: 12,
    completionTokens: 34,
    latencyMs: 56,
    streamed: false,
    ...overrides,
  };
}

/** A logger that keeps every line, to assert what was (not) logged. */
export function captureLogger(): StoreLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (fields: object, message: string) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  };
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}
