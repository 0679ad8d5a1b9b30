import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from '../../store/schema.js';

/**
 * oidc-provider's storage contract over the gateway's store (table `oidc_payloads`, migration
 * `0002_oidc_payloads`), the same on SQLite and PostgreSQL. Every model lives in one table,
 * keyed by (model, id); grant id, uid and user code are copied into indexed columns for the
 * lookups the provider makes. An expired row is never returned (and is deleted when met);
 * `sweepExpiredPayloads` deletes the rest periodically.
 */
export class KyselyAdapter implements Adapter {
  readonly #db: Kysely<Database>;
  readonly #model: string;
  readonly #now: () => number;

  /** `now`: epoch milliseconds, injectable so that expiry is tested on a frozen clock. */
  constructor(model: string, db: Kysely<Database>, now: () => number = Date.now) {
    this.#model = model;
    this.#db = db;
    this.#now = now;
  }

  /** Inserts or replaces; `expiresIn` is in seconds (oidc-provider's unit). */
  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = {
      payload: JSON.stringify(payload),
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      expires_at:
        typeof expiresIn === 'number' && expiresIn > 0 ? this.#now() + expiresIn * 1000 : null,
      consumed_at: null,
    };
    await this.#db
      .insertInto('oidc_payloads')
      .values({ model: this.#model, id, ...row })
      .onConflict((conflict) => conflict.columns(['model', 'id']).doUpdateSet(row))
      .execute();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('user_code', userCode);
  }

  /** Marks a one-time token (code, rotated refresh token) spent; the provider sees `consumed`. */
  async consume(id: string): Promise<void> {
    await this.#db
      .updateTable('oidc_payloads')
      .set({ consumed_at: this.#now() })
      .where('model', '=', this.#model)
      .where('id', '=', id)
      .execute();
  }

  async destroy(id: string): Promise<void> {
    await this.#db
      .deleteFrom('oidc_payloads')
      .where('model', '=', this.#model)
      .where('id', '=', id)
      .execute();
  }

  /** Deletes every instance of this model issued under the grant (codes, tokens, …). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db
      .deleteFrom('oidc_payloads')
      .where('model', '=', this.#model)
      .where('grant_id', '=', grantId)
      .execute();
  }

  async #findWhere(
    column: 'id' | 'uid' | 'user_code',
    value: string,
  ): Promise<AdapterPayload | undefined> {
    const row = await this.#db
      .selectFrom('oidc_payloads')
      .select(['id', 'payload', 'expires_at', 'consumed_at'])
      .where('model', '=', this.#model)
      .where(column, '=', value)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (row.expires_at !== null && Number(row.expires_at) <= this.#now()) {
      await this.destroy(row.id);
      return undefined;
    }
    const payload = JSON.parse(row.payload) as AdapterPayload;
    // oidc-provider treats any truthy `consumed` as spent; it gets the time, in seconds.
    return row.consumed_at === null
      ? payload
      : { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) };
  }
}

/** Deletes every expired row of every model; returns how many. */
export async function sweepExpiredPayloads(db: Kysely<Database>, nowMs: number): Promise<number> {
  const result = await db
    .deleteFrom('oidc_payloads')
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', nowMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
