import type { Principal } from '../../pipeline/exchange.js';
import type { Revocation, SubjectKey } from './repository.js';

/** Which revocation, if any, refuses a principal's token. */
export type RevokedBy = 'device' | 'session' | 'subject';

/** When a revocation was made and by which issuer's tokens: what pruning decides on. */
interface Entry {
  readonly issuer: string;
  /** Epoch ms; for a subject, tokens issued at or before it are refused. */
  readonly revokedAt: number;
}

/**
 * Issuer → how long after it was made a revocation of that issuer's tokens can still refuse
 * one, in ms. An issuer not in the map keeps its revocations (their lifetime is not known).
 */
export type RevocationHorizon = ReadonlyMap<string, number>;

/**
 * The revocations in memory, checked on every authenticated request with at most three map
 * lookups (none while nothing is revoked). Entries are added (a later revocation of the same
 * thing moves its moment forward, never back) and removed only by `prune`, once nothing they
 * could refuse can still be valid, so merging a store resync with broadcasts that arrive
 * meanwhile needs no ordering.
 */
export class RevocationList {
  readonly #devices = new Map<string, Entry>();
  readonly #sessions = new Map<string, Entry>();
  readonly #subjects = new Map<string, Entry>();

  get size(): number {
    return this.#devices.size + this.#sessions.size + this.#subjects.size;
  }

  apply(revocation: Revocation): void {
    const key = entryKey(revocation, revocation.target);
    const map = this.#mapOf(revocation.kind);
    const known = map.get(key);
    if (known === undefined || known.revokedAt < revocation.revokedAt) {
      map.set(key, { issuer: revocation.issuer, revokedAt: revocation.revokedAt });
    }
  }

  /**
   * Forgets every revocation made more than its issuer's horizon before `nowMs` (none of an
   * issuer without one); returns how many. Linear in the list, run from a background job.
   */
  prune(horizon: RevocationHorizon, nowMs: number): number {
    let removed = 0;
    for (const map of [this.#devices, this.#sessions, this.#subjects]) {
      for (const [key, entry] of map) {
        const keepMs = horizon.get(entry.issuer);
        if (keepMs !== undefined && entry.revokedAt + keepMs < nowMs) {
          map.delete(key);
          removed += 1;
        }
      }
    }
    return removed;
  }

  #mapOf(kind: RevokedBy): Map<string, Entry> {
    if (kind === 'device') return this.#devices;
    if (kind === 'session') return this.#sessions;
    return this.#subjects;
  }

  /** Why the principal's token is revoked, or undefined when it is not. */
  revokedBy(principal: Principal): RevokedBy | undefined {
    if (this.size === 0) return undefined;
    const owner: SubjectKey = {
      tenant: principal.tenant ?? '',
      issuer: principal.issuer,
      subject: principal.subject,
    };
    if (this.#subjects.size > 0) {
      const cutoff = this.#subjects.get(entryKey(owner, ''))?.revokedAt;
      // Without `iat` a token cannot show it came after the cut-off: refused.
      if (cutoff !== undefined) {
        if (principal.issuedAt === undefined || principal.issuedAt * 1000 <= cutoff) {
          return 'subject';
        }
      }
    }
    const jkt = principal.deviceJkt;
    if (jkt !== undefined && this.#devices.has(entryKey(owner, jkt))) return 'device';
    const sid = principal.sessionId;
    if (sid !== undefined && this.#sessions.has(entryKey(owner, sid))) return 'session';
    return undefined;
  }

  /** The subject's cut-off (epoch ms), if its tokens were revoked. */
  subjectRevokedAt(owner: SubjectKey): number | undefined {
    return this.#subjects.get(entryKey(owner, ''))?.revokedAt;
  }

  isRevoked(kind: RevokedBy, owner: SubjectKey, target: string): boolean {
    return this.#mapOf(kind).has(entryKey(owner, target));
  }
}

/** JSON of the four parts: injective, whatever characters the claims hold. */
function entryKey(owner: SubjectKey, target: string): string {
  return JSON.stringify([owner.tenant, owner.issuer, owner.subject, target]);
}
