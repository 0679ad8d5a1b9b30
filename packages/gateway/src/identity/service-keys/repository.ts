import type { Kysely, Selectable } from 'kysely';
import type { Database, ServiceKeysTable } from '../../store/schema.js';
import { generateServiceKey, hashServiceKeySecret } from './format.js';

/** A service key as listed: everything but its secret (which is never stored) and its hash. */
export interface ServiceKey {
  readonly id: string;
  readonly tenant: string | undefined;
  readonly name: string;
  readonly roles: readonly string[];
  /** The aliases the key is limited to; undefined: whatever its roles grant. */
  readonly aliases: readonly string[] | undefined;
  /** Epoch milliseconds, as every timestamp here. */
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | undefined;
  readonly lastUsedAt: number | undefined;
  /** Who created it (`cli:<user>`, later an admin API subject). */
  readonly createdBy: string;
}

/** A stored key with its secret's hash, for verification only (service-key.ts). */
export interface StoredServiceKey extends ServiceKey {
  readonly secretHash: string;
}

export interface NewServiceKey {
  readonly name: string;
  readonly tenant: string | undefined;
  readonly roles: readonly string[];
  readonly aliases: readonly string[] | undefined;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly createdBy: string;
}

export type RevokeResult = 'revoked' | 'already_revoked' | 'unknown';

/**
 * Service keys in the store (table `service_keys`, migration 0004), on SQLite and PostgreSQL
 * alike. The secret exists only in the value `create` returns: the row keeps its SHA-256.
 */
export class ServiceKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates a key; `key` is the full `rk_…` text, to be shown once and never again. */
  async create(input: NewServiceKey): Promise<{ key: string; serviceKey: ServiceKey }> {
    const { id, secret, key } = generateServiceKey();
    const row = {
      id,
      tenant: input.tenant ?? null,
      name: input.name,
      secret_hash: hashServiceKeySecret(id, secret),
      roles: JSON.stringify(input.roles),
      aliases: input.aliases === undefined ? null : JSON.stringify(input.aliases),
      created_at: input.createdAt,
      expires_at: input.expiresAt,
      revoked_at: null,
      last_used_at: null,
      created_by: input.createdBy,
    };
    await this.db.insertInto('service_keys').values(row).execute();
    const serviceKey = listed(
      fromRow({
        ...row,
        roles: input.roles,
        aliases: input.aliases ?? null,
      }),
    );
    return { key, serviceKey };
  }

  /** The key with this id, with its hash; undefined when there is none. */
  async find(id: string): Promise<StoredServiceKey | undefined> {
    const row = await this.db
      .selectFrom('service_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every key (of one tenant, when given), newest first, without hashes. */
  async list(options: { tenant?: string | undefined } = {}): Promise<ServiceKey[]> {
    let query = this.db.selectFrom('service_keys').selectAll();
    if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map((row) => listed(fromRow(row)));
  }

  /** Marks the key revoked at `now` (the first revocation's time is kept). */
  async revoke(id: string, now: number): Promise<RevokeResult> {
    const result = await this.db
      .updateTable('service_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return 'revoked';
    return (await this.find(id)) === undefined ? 'unknown' : 'already_revoked';
  }

  /** Records a use (the verifier calls it at most once a minute per key). */
  async touch(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('service_keys')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .execute();
  }
}

/** A key as listed: the same object without its hash. */
function listed(stored: StoredServiceKey): ServiceKey {
  const key: Record<string, unknown> = { ...stored };
  delete key['secretHash'];
  return key as unknown as ServiceKey;
}

function fromRow(row: Selectable<ServiceKeysTable>): StoredServiceKey {
  return {
    id: row.id,
    tenant: row.tenant ?? undefined,
    name: row.name,
    secretHash: row.secret_hash,
    roles: stringList(row.roles) ?? [],
    aliases: stringList(row.aliases),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? undefined : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? undefined : Number(row.last_used_at),
    createdBy: row.created_by,
  };
}

/** A JSON list of strings: parsed by PostgreSQL (jsonb) or a string to parse (SQLite). */
function stringList(value: unknown): string[] | undefined {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(parsed)) return undefined;
  return parsed.filter((item): item is string => typeof item === 'string');
}
