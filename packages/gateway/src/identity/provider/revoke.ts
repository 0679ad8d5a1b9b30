import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

/**
 * Ends a login of the embedded provider for good: the grant (the `sid` of its access tokens)
 * and everything issued under it — refresh tokens, authorization codes, access token records —
 * are deleted from the store, so the next refresh fails at every replica. Access tokens already
 * issued are JWTs and stay valid until they expire (`identity.accessTokenTtlSeconds`) unless
 * the resource server also checks `sid` against a revocation list. Returns whether anything
 * was deleted.
 */
export async function revokeGrant(db: Kysely<Database>, grantId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('oidc_payloads')
    .where((where) =>
      where.or([
        where('grant_id', '=', grantId),
        where.and([where('model', '=', 'Grant'), where('id', '=', grantId)]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
