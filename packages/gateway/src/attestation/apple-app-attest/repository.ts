import type { JsonWebKey } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AppAttestKeysTable, Database } from '../../store/schema.js';
import type { AppAttestEnvironment } from './attestation.js';

/** An attested key as stored; times in epoch milliseconds. */
export interface AppAttestKeyRecord {
  readonly keyId: string;
  /** '' when the principal has no tenant. */
  readonly tenant: string;
  readonly issuer: string;
  readonly subject: string;
  /** `<teamId>.<bundleId>`. */
  readonly appId: string;
  readonly deviceJkt: string | null;
  readonly publicKeyJwk: JsonWebKey;
  readonly environment: AppAttestEnvironment;
  /** Apple's receipt, or null when not kept. */
  readonly receipt: Uint8Array | null;
  readonly counter: number;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

export type NewAppAttestKey = Omit<AppAttestKeyRecord, 'counter' | 'lastUsedAt'>;

export type CounterAdvance = 'advanced' | 'counter_replay' | 'key_unknown';

/**
 * App Attest keys in the store (table `app_attest_keys`, migration 0006), on SQLite and
 * PostgreSQL alike. The counter moves only through `advanceCounter`, a single conditional
 * UPDATE, so the database settles races between replicas: of two requests carrying the same
 * counter, exactly one updates the row and the other sees a replay.
 */
export class AppAttestKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a freshly attested key with counter 0; false when the key id is already stored. */
  async insert(key: NewAppAttestKey): Promise<boolean> {
    const result = await this.db
      .insertInto('app_attest_keys')
      .values({
        key_id: key.keyId,
        tenant: key.tenant,
        issuer: key.issuer,
        subject: key.subject,
        app_id: key.appId,
        device_jkt: key.deviceJkt,
        public_key: JSON.stringify(key.publicKeyJwk),
        environment: key.environment,
        receipt: key.receipt === null ? null : Buffer.from(key.receipt).toString('base64'),
        counter: 0,
        created_at: key.createdAt,
        last_used_at: null,
      })
      .onConflict((conflict) => conflict.column('key_id').doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async find(keyId: string): Promise<AppAttestKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('app_attest_keys')
      .selectAll()
      .where('key_id', '=', keyId)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Compare-and-set: `UPDATE … SET counter = :counter WHERE key_id = :keyId AND counter <
   * :counter`. Zero rows updated means another request already used this counter (or a
   * higher one): a replay, unless the key does not exist at all.
   */
  async advanceCounter(keyId: string, counter: number, now: number): Promise<CounterAdvance> {
    const result = await this.db
      .updateTable('app_attest_keys')
      .set({ counter, last_used_at: now })
      .where('key_id', '=', keyId)
      .where('counter', '<', counter)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return 'advanced';
    return (await this.find(keyId)) === undefined ? 'key_unknown' : 'counter_replay';
  }
}

function fromRow(row: Selectable<AppAttestKeysTable>): AppAttestKeyRecord {
  return {
    keyId: row.key_id,
    tenant: row.tenant,
    issuer: row.issuer,
    subject: row.subject,
    appId: row.app_id,
    deviceJkt: row.device_jkt,
    publicKeyJwk: JSON.parse(row.public_key) as JsonWebKey,
    environment: row.environment,
    receipt: row.receipt === null ? null : new Uint8Array(Buffer.from(row.receipt, 'base64')),
    counter: Number(row.counter),
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}
