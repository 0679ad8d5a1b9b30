import type { RedisConnection } from '../../redis/index.js';
import type {
  DeviceRecord,
  Revocation,
  RevocationKind,
  SessionRecord,
  SessionRepository,
  SubjectKey,
} from './repository.js';
import { RevocationList } from './revocation-list.js';
import { publishRevocation } from './revocations.js';

export interface DeviceView extends DeviceRecord {
  readonly revoked: boolean;
}

export interface SessionView extends SessionRecord {
  readonly revoked: boolean;
}

/** Stores (and announces) one revocation. */
export type Revoke = (
  kind: RevocationKind,
  owner: SubjectKey,
  target: string,
) => Promise<Revocation>;

/**
 * What an operator does with a user's devices and sessions, shared by the admin API and
 * `rampart admin`. Every call is confined to one tenant (`''`: principals without a tenant):
 * rows of another tenant are neither listed nor revocable, and a revocation of something the
 * tenant does not hold reports "not found" (0), exactly as for something that does not exist.
 * `issuer` narrows to one issuer; unset, every issuer the subject is known under counts.
 */
export class SessionService {
  readonly #repository: SessionRepository;
  readonly #list: RevocationList;
  readonly #revoke: Revoke;

  constructor(repository: SessionRepository, list: RevocationList, revoke: Revoke) {
    this.#repository = repository;
    this.#list = list;
    this.#revoke = revoke;
  }

  async listDevices(tenant: string, subject: string, issuer?: string): Promise<DeviceView[]> {
    const rows = await this.#repository.listDevices(tenant, subject, issuer);
    return rows.map((row) => ({ ...row, revoked: this.#revoked(row, 'device', row.jkt) }));
  }

  async listSessions(tenant: string, subject: string, issuer?: string): Promise<SessionView[]> {
    const rows = await this.#repository.listSessions(tenant, subject, issuer);
    return rows.map((row) => ({ ...row, revoked: this.#revoked(row, 'session', row.sessionId) }));
  }

  /** Revokes the device key `jkt` of the subject; resolves to how many (per issuer) were. */
  async revokeDevice(tenant: string, subject: string, jkt: string, issuer?: string) {
    const owners = (await this.#repository.listDevices(tenant, subject, issuer))
      .filter((row) => row.jkt === jkt)
      .map(ownerOf);
    return this.#revokeEach('device', owners, jkt);
  }

  async revokeSession(tenant: string, subject: string, sessionId: string, issuer?: string) {
    const owners = (await this.#repository.listSessions(tenant, subject, issuer))
      .filter((row) => row.sessionId === sessionId)
      .map(ownerOf);
    return this.#revokeEach('session', owners, sessionId);
  }

  /**
   * Revokes every token the subject holds now (issued at or before this moment), under each
   * issuer it is known by in the tenant, or under `issuer` when `force` (the CLI's `--issuer`
   * for a subject never seen).
   */
  async revokeSubject(tenant: string, subject: string, issuer?: string, force = false) {
    const known = new Map<string, SubjectKey>();
    for (const row of [
      ...(await this.#repository.listDevices(tenant, subject, issuer)),
      ...(await this.#repository.listSessions(tenant, subject, issuer)),
    ]) {
      known.set(row.issuer, ownerOf(row));
    }
    if (known.size === 0 && force && issuer !== undefined) {
      known.set(issuer, { tenant, issuer, subject });
    }
    return this.#revokeEach('subject', [...known.values()], '');
  }

  async #revokeEach(kind: RevocationKind, owners: SubjectKey[], target: string): Promise<number> {
    const unique = new Map(owners.map((owner) => [owner.issuer, owner]));
    for (const owner of unique.values()) await this.#revoke(kind, owner, target);
    return unique.size;
  }

  /** Revoked itself, or not seen since its subject's tokens were all revoked. */
  #revoked(
    row: SubjectKey & { readonly lastSeenAt: number },
    kind: 'device' | 'session',
    target: string,
  ): boolean {
    if (this.#list.isRevoked(kind, row, target)) return true;
    const cutoff = this.#list.subjectRevokedAt(row);
    return cutoff !== undefined && row.lastSeenAt <= cutoff;
  }
}

function ownerOf(row: SubjectKey): SubjectKey {
  return { tenant: row.tenant, issuer: row.issuer, subject: row.subject };
}

/**
 * A SessionService for a process that serves no requests (`rampart admin` on the local store):
 * revocations are stored and, with Redis, published to the running replicas.
 */
export async function localSessionService(
  repository: SessionRepository,
  redis?: RedisConnection,
): Promise<SessionService> {
  const list = new RevocationList();
  for (const revocation of await repository.allRevocations()) list.apply(revocation);
  return new SessionService(repository, list, async (kind, owner, target) => {
    const revocation: Revocation = { kind, ...owner, target, revokedAt: Date.now() };
    await repository.addRevocation(revocation);
    list.apply(revocation);
    if (redis !== undefined) await publishRevocation(redis, revocation);
    return revocation;
  });
}
