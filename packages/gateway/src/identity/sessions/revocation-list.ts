import type { Principal } from '../../pipeline/exchange.js';
import type { Revocation, SubjectKey } from './repository.js';

/** Which revocation, if any, refuses a principal's token. */
export type RevokedBy = 'device' | 'session' | 'subject';

/**
 * The revocations in memory, checked on every authenticated request with at most three set
 * lookups (none while nothing is revoked). Entries are only ever added — a revocation is never
 * undone — so merging a store resync with broadcasts that arrive meanwhile needs no ordering.
 */
export class RevocationList {
  readonly #devices = new Set<string>();
  readonly #sessions = new Set<string>();
  /** Subject key → the moment (epoch ms) at or before which its tokens are refused. */
  readonly #subjects = new Map<string, number>();

  get size(): number {
    return this.#devices.size + this.#sessions.size + this.#subjects.size;
  }

  apply(revocation: Revocation): void {
    const key = entryKey(revocation, revocation.target);
    if (revocation.kind === 'device') this.#devices.add(key);
    else if (revocation.kind === 'session') this.#sessions.add(key);
    else {
      const known = this.#subjects.get(key);
      if (known === undefined || known < revocation.revokedAt) {
        this.#subjects.set(key, revocation.revokedAt);
      }
    }
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
      const cutoff = this.#subjects.get(entryKey(owner, ''));
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
    return this.#subjects.get(entryKey(owner, ''));
  }

  isRevoked(kind: RevokedBy, owner: SubjectKey, target: string): boolean {
    const key = entryKey(owner, target);
    if (kind === 'device') return this.#devices.has(key);
    if (kind === 'session') return this.#sessions.has(key);
    return this.#subjects.has(key);
  }
}

/** JSON of the four parts: injective, whatever characters the claims hold. */
function entryKey(owner: SubjectKey, target: string): string {
  return JSON.stringify([owner.tenant, owner.issuer, owner.subject, target]);
}
