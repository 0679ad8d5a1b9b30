import { bearerRefusal } from '../../pipeline/authenticate/challenge.js';
import type { Principal } from '../../pipeline/exchange.js';
import type { RevocationList, RevokedBy } from './revocation-list.js';
import type { SessionTracker } from './tracker.js';

const REASONS: Record<RevokedBy, string> = {
  device:
    'The access token was revoked: its device key was revoked. Enrol a new key and sign in again.',
  session: 'The access token was revoked: its session was ended. Sign in again.',
  subject: 'The access token was revoked. Sign in again.',
};

/**
 * The authenticator's `admit` step (DESIGN.md request path 2, "revocation check"): a verified
 * principal whose device, session or subject is revoked is refused with 401
 * `auth.token_revoked`; any other is recorded in the registry (throttled, written later).
 * In-memory lookups and a map write: no I/O on the request path.
 */
export function revocationGate(
  list: RevocationList,
  tracker: SessionTracker | undefined,
): (principal: Principal, nowMs: number) => void {
  return (principal, nowMs) => {
    const revokedBy = list.revokedBy(principal);
    if (revokedBy !== undefined) throw bearerRefusal('auth.token_revoked', REASONS[revokedBy]);
    tracker?.seen(principal, nowMs);
  };
}
