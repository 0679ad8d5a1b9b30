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
 * A local account of the embedded provider (identity/accounts). `id` is random, never the
 * username; `username_key` is the folded form logins look up (unique); `roles` is a JSON array
 * as text on both engines. Secrets are never stored in the clear: `password_hash` is an argon2id
 * PHC string, `totp_secret`/`totp_pending` are JWEs under the keyring's `data-kek`.
 */
export interface AccountsTable {
  id: string;
  username: string;
  username_key: string;
  tenant: string | null;
  roles: string;
  password_hash: string | null;
  disabled: SqlBool;
  must_enroll_totp: SqlBool;
  /** Confirmed TOTP secret (JWE), or null when TOTP is not enrolled. */
  totp_secret: string | null;
  /** Secret of an enrolment not yet confirmed (JWE). */
  totp_pending: string | null;
  /** Last TOTP time step accepted (RFC 6238 T), so a code is accepted once. */
  totp_last_step: number | null;
  created_at: number;
  updated_at: number;
}

/** One-time recovery codes, stored as SHA-256 hashes only; `used_at` set when spent. */
export interface RecoveryCodesTable {
  account_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** WebAuthn credentials (passkeys); `id` is the base64url credential id, unique across accounts. */
export interface PasskeyCredentialsTable {
  id: string;
  account_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  counter: number;
  /** JSON array of transports as text. */
  transports: string;
  /** `singleDevice` or `multiDevice` (backup eligibility). */
  device_type: string;
  backed_up: SqlBool;
  created_at: number;
  last_used_at: number | null;
}

/** A device key (DPoP `cnf.jkt`) seen for a subject: identity/sessions/. Times: epoch ms. */
export interface DevicesTable {
  /** '' when the principal has no tenant. */
  tenant: string;
  issuer: string;
  subject: string;
  jkt: string;
  first_seen_at: number;
  last_seen_at: number;
  /** Reserved for the attestation work: the platform's verdict on this key. */
  attestation_state: string | null;
}

/** A sign-in session (the token's `sid`) seen for a subject. */
export interface SessionsTable {
  tenant: string;
  issuer: string;
  subject: string;
  session_id: string;
  /** The device key of the last token seen in the session, if bound. */
  device_jkt: string | null;
  first_seen_at: number;
  last_seen_at: number;
}

/** A revoked device, session, or subject (every token issued at or before `revoked_at`). */
export interface RevocationsTable {
  kind: 'device' | 'session' | 'subject';
  tenant: string;
  issuer: string;
  subject: string;
  /** The jkt, the sid, or '' for a subject. */
  target: string;
  revoked_at: number;
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

/**
 * A key attested with Apple App Attest (attestation/apple-app-attest). `public_key` is the
 * public JWK as JSON text; `receipt` Apple's receipt, base64; `counter` the last assertion
 * counter accepted (moved only by compare-and-set). Times: epoch ms.
 */
export interface AppAttestKeysTable {
  /** base64url SHA-256 of the key's uncompressed point. */
  key_id: string;
  /** '' when the principal has no tenant. */
  tenant: string;
  issuer: string;
  subject: string;
  /** `<teamId>.<bundleId>`. */
  app_id: string;
  /** The DPoP key (jkt) the attestation bound, when the platform flow bound one. */
  device_jkt: string | null;
  public_key: string;
  environment: 'development' | 'production';
  receipt: string | null;
  counter: number;
  created_at: number;
  last_used_at: number | null;
}

export interface Database {
  usage_events: UsageEventsTable;
  accounts: AccountsTable;
  recovery_codes: RecoveryCodesTable;
  passkey_credentials: PasskeyCredentialsTable;
  devices: DevicesTable;
  sessions: SessionsTable;
  revocations: RevocationsTable;
  service_keys: ServiceKeysTable;
  oidc_payloads: OidcPayloadsTable;
  app_attest_keys: AppAttestKeysTable;
}
