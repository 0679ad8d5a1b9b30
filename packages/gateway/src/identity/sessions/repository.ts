import type { Kysely } from 'kysely';
import type { Database, RevocationsTable } from '../../store/schema.js';

/** Who a registry row belongs to. `tenant` is '' for a principal without one. */
export interface SubjectKey {
  readonly tenant: string;
  readonly issuer: string;
  readonly subject: string;
}

export interface DeviceRecord extends SubjectKey {
  readonly jkt: string;
  /** Epoch milliseconds. */
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  readonly attestationState: string | null;
}

export interface SessionRecord extends SubjectKey {
  readonly sessionId: string;
  readonly deviceJkt: string | null;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
}

export type RevocationKind = RevocationsTable['kind'];

export interface Revocation extends SubjectKey {
  readonly kind: RevocationKind;
  /** The jkt (device), the sid (session), or '' (subject). */
  readonly target: string;
  /** Epoch milliseconds; for a subject, tokens issued at or before it are refused. */
  readonly revokedAt: number;
}

/** Most rows a list returns: a user with more devices than this is not a user. */
export const MAX_LISTED = 500;

/**
 * The registry's and the revocations' rows (tables of migration 0005). Writes are upserts,
 * batched by the caller; both engines support `ON CONFLICT … DO UPDATE` with `excluded`.
 */
export class SessionRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Inserts new devices and moves `last_seen_at` of known ones; one statement. */
  async upsertDevices(rows: readonly Omit<DeviceRecord, 'attestationState'>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db
      .insertInto('devices')
      .values(
        rows.map((row) => ({
          tenant: row.tenant,
          issuer: row.issuer,
          subject: row.subject,
          jkt: row.jkt,
          first_seen_at: row.firstSeenAt,
          last_seen_at: row.lastSeenAt,
          attestation_state: null,
        })),
      )
      .onConflict((conflict) =>
        conflict
          .columns(['tenant', 'issuer', 'subject', 'jkt'])
          .doUpdateSet((eb) => ({ last_seen_at: eb.ref('excluded.last_seen_at') })),
      )
      .execute();
  }

  async upsertSessions(rows: readonly SessionRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db
      .insertInto('sessions')
      .values(
        rows.map((row) => ({
          tenant: row.tenant,
          issuer: row.issuer,
          subject: row.subject,
          session_id: row.sessionId,
          device_jkt: row.deviceJkt,
          first_seen_at: row.firstSeenAt,
          last_seen_at: row.lastSeenAt,
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(['tenant', 'issuer', 'subject', 'session_id']).doUpdateSet((eb) => ({
          last_seen_at: eb.ref('excluded.last_seen_at'),
          device_jkt: eb.ref('excluded.device_jkt'),
        })),
      )
      .execute();
  }

  /** A subject's devices in a tenant, most recently seen first; `issuer` narrows. */
  async listDevices(tenant: string, subject: string, issuer?: string): Promise<DeviceRecord[]> {
    let query = this.#db
      .selectFrom('devices')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('subject', '=', subject);
    if (issuer !== undefined) query = query.where('issuer', '=', issuer);
    const rows = await query.orderBy('last_seen_at', 'desc').limit(MAX_LISTED).execute();
    return rows.map((row) => ({
      tenant: row.tenant,
      issuer: row.issuer,
      subject: row.subject,
      jkt: row.jkt,
      firstSeenAt: row.first_seen_at,
      lastSeenAt: row.last_seen_at,
      attestationState: row.attestation_state,
    }));
  }

  async listSessions(tenant: string, subject: string, issuer?: string): Promise<SessionRecord[]> {
    let query = this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('subject', '=', subject);
    if (issuer !== undefined) query = query.where('issuer', '=', issuer);
    const rows = await query.orderBy('last_seen_at', 'desc').limit(MAX_LISTED).execute();
    return rows.map((row) => ({
      tenant: row.tenant,
      issuer: row.issuer,
      subject: row.subject,
      sessionId: row.session_id,
      deviceJkt: row.device_jkt,
      firstSeenAt: row.first_seen_at,
      lastSeenAt: row.last_seen_at,
    }));
  }

  /** Records a revocation; revoking again moves its moment (a subject's cut-off) forward. */
  async addRevocation(revocation: Revocation): Promise<void> {
    await this.#db
      .insertInto('revocations')
      .values({
        kind: revocation.kind,
        tenant: revocation.tenant,
        issuer: revocation.issuer,
        subject: revocation.subject,
        target: revocation.target,
        revoked_at: revocation.revokedAt,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['kind', 'tenant', 'issuer', 'subject', 'target'])
          .doUpdateSet((eb) => ({ revoked_at: eb.ref('excluded.revoked_at') })),
      )
      .execute();
  }

  /**
   * Deletes up to `limit` revocations of `issuer` made before `before` (epoch ms); returns how
   * many. The keys are read first and deleted by primary key in one statement, with the time
   * condition again, so that a revocation renewed meanwhile (its moment moved forward) stays.
   */
  async pruneRevocations(issuer: string, before: number, limit: number): Promise<number> {
    const rows = await this.#db
      .selectFrom('revocations')
      .select(['kind', 'tenant', 'issuer', 'subject', 'target'])
      .where('issuer', '=', issuer)
      .where('revoked_at', '<', before)
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    const result = await this.#db
      .deleteFrom('revocations')
      .where('revoked_at', '<', before)
      .where((eb) =>
        eb.or(
          rows.map((row) =>
            eb.and([
              eb('kind', '=', row.kind),
              eb('tenant', '=', row.tenant),
              eb('issuer', '=', row.issuer),
              eb('subject', '=', row.subject),
              eb('target', '=', row.target),
            ]),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Every revocation, for the in-memory sets (at start and after a broadcast gap). */
  async allRevocations(): Promise<Revocation[]> {
    const rows = await this.#db.selectFrom('revocations').selectAll().execute();
    return rows.map((row) => ({
      kind: row.kind,
      tenant: row.tenant,
      issuer: row.issuer,
      subject: row.subject,
      target: row.target,
      revokedAt: row.revoked_at,
    }));
  }
}
