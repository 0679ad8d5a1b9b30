import type { ColumnType, Generated } from 'kysely';

/**
 * The database as Kysely sees it. One schema for both engines, so the conventions that make
 * SQLite and PostgreSQL behave the same are fixed here:
 *
 * - timestamps are integer epoch milliseconds (`bigint` in PostgreSQL, read back as a number by
 *   the pool's int8 parser; INTEGER in SQLite), never engine-local date types;
 * - booleans are `boolean` in PostgreSQL and 0/1 in SQLite: written as 0/1 (PostgreSQL accepts
 *   both) and read through `fromSqlBool`;
 * - text is `text` everywhere, because `varchar(n)` is enforced by one engine and not the other;
 * - JSON, when a table needs it, is `jsonb` in PostgreSQL and text in SQLite.
 */
export type Engine = 'sqlite' | 'postgres';

/** Written as 0/1 on both engines; read as a boolean (PostgreSQL) or 0/1 (SQLite). */
export type SqlBool = ColumnType<boolean | 0 | 1, 0 | 1, 0 | 1>;

export function fromSqlBool(value: boolean | 0 | 1): boolean {
  return value === true || value === 1;
}

/** One allowed request: counts and configuration identifiers only — never content or a user. */
export interface UsageEventsTable {
  id: Generated<number>;
  request_id: string;
  /** Epoch milliseconds. */
  occurred_at: number;
  route: string;
  model_alias: string;
  provider: string;
  upstream_model: string;
  status: number;
  outcome: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number;
  streamed: SqlBool;
}

/**
 * A service key (`rk_<id>_<secret>`, identity/service-keys). The secret is 256 random bits, so
 * its SHA-256 is stored, not a slow password hash: nobody can search a 2^256 space whatever the
 * hash costs, and a fast hash keeps each request's check at microseconds (a slow one would make
 * every bogus `rk_` request a CPU cost to the gateway).
 */
export interface ServiceKeysTable {
  /** 16 base64url characters (96 random bits); the key's public half. */
  id: string;
  tenant: string | null;
  name: string;
  /** base64url SHA-256 of `rk:<id>:<secret>`. */
  secret_hash: string;
  /** JSON array of role names (jsonb in PostgreSQL, read back parsed; text in SQLite). */
  roles: ColumnType<unknown, string, string>;
  /** JSON array of aliases the key is limited to; null: whatever its roles grant. */
  aliases: ColumnType<unknown, string | null, string | null>;
  /** Epoch milliseconds. */
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  created_by: string;
}

export interface Database {
  usage_events: UsageEventsTable;
  service_keys: ServiceKeysTable;
}
