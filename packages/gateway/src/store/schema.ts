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
 * One oidc-provider model instance (identity/provider/adapter.ts). `payload` is the model's
 * JSON as text on both engines (the adapter alone reads it, whole); the lookup columns are
 * copied out of it. `expires_at` and `consumed_at` are epoch milliseconds.
 */
export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface Database {
  usage_events: UsageEventsTable;
  oidc_payloads: OidcPayloadsTable;
}
