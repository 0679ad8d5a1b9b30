import type { PostgresDialect } from 'kysely';
import pg from 'pg';
import { gatewayError } from '../errors.js';
import type { StoreLogger } from './log.js';
import { CurrentSchemaPostgresDialect } from './postgres-introspector.js';

/** Unquoted PostgreSQL identifiers fold to lower case, so only lower case names are accepted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresTarget {
  readonly dialect: PostgresDialect;
  /** The server, database and schema — never the password — for logs and errors. */
  readonly describe: string;
  /** Removes the password from a driver message, should one ever echo it. */
  readonly redact: (text: string) => string;
}

export function postgresTarget(
  url: string,
  schema: string | undefined,
  logger: StoreLogger | undefined,
): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL is not echoed: it may hold a password.
    throw gatewayError('config.invalid', 'database.url is not a valid postgres:// URL.');
  }
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw gatewayError(
      'config.invalid',
      `Database schema "${schema}" is not a plain lower-case identifier (a-z, 0-9, _).`,
    );
  }
  const describe = `postgres ${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}${schema ? ` schema ${schema}` : ''}`;
  const secrets = [parsed.password, safeDecode(parsed.password)].filter((s) => s.length > 0);
  const redact = (text: string) =>
    secrets.reduce((out, secret) => out.split(secret).join('[REDACTED]'), text);

  // The schema goes into the connection's startup options so that every pooled connection,
  // including ones opened later, resolves tables there. Options already in the URL are kept:
  // pg lets the URL override a separate `options` setting.
  if (schema !== undefined) {
    const existing = parsed.searchParams.get('options');
    const searchPath = `-c search_path=${schema}`;
    parsed.searchParams.set('options', existing ? `${existing} ${searchPath}` : searchPath);
  }

  // int8 (bigint, count(*)) arrives as text by default; epoch milliseconds and counts fit in a
  // double, so this pool reads them as numbers like SQLite does. Per pool, not pg's global.
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    types,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'rampart-gateway',
  });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (error) => {
    logger?.warn({ target: describe, reason: redact(error.message) }, 'database connection lost');
  });
  return { dialect: new CurrentSchemaPostgresDialect({ pool }), describe, redact };
}

/** Unknown-code errors from PostgreSQL carry the SQLSTATE in `code`. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function assertPostgresUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw gatewayError(
      'config.invalid',
      'database.url must start with postgres:// or postgresql:// (leave it unset for SQLite).',
    );
  }
}
