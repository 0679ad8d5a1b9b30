import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { RevocationHooks } from '../sessions/revocations.js';
import { revokeGrant } from './revoke.js';

/** Most grants of one account read per page while revoking them all. */
const PAGE = 500;

/**
 * What a revocation made through the admin API or `rampart admin` does to the embedded
 * provider's own state, beyond refusing the access tokens already issued (the revocation list
 * does that at every replica): revoking a session deletes its grant (the `sid` is the grant
 * id), so its refresh token stops working; revoking a subject deletes every grant of that
 * account. Revocations of other issuers' subjects are not ours to act on.
 */
export function providerRevocationHooks(db: Kysely<Database>, issuer: string): RevocationHooks {
  return {
    async onSessionRevoked(sessionId, owner) {
      if (owner.issuer !== issuer) return;
      await revokeGrant(db, sessionId);
    },
    async onSubjectRevoked(subject, owner) {
      if (owner.issuer !== issuer) return;
      for (const grantId of await grantsOf(db, subject)) await revokeGrant(db, grantId);
    },
  };
}

/**
 * The grant ids of one account. The account id lives only inside the grant's JSON payload
 * (oidc-provider's model), so grants are read page by page and filtered here: an admin
 * action, not a hot path.
 */
async function grantsOf(db: Kysely<Database>, accountId: string): Promise<string[]> {
  const found: string[] = [];
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'payload'])
      .where('model', '=', 'Grant')
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      if (accountOf(row.payload) === accountId) found.push(row.id);
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < PAGE) return found;
    after = last.id;
  }
}

function accountOf(payload: string): unknown {
  try {
    return (JSON.parse(payload) as { accountId?: unknown }).accountId;
  } catch {
    return undefined;
  }
}
