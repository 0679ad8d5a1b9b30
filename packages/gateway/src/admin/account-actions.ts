import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import type { AccountAdmin, AccountSummary } from '../identity/accounts/index.js';
import { AccountRepository, rolesOf } from '../identity/accounts/repository.js';
import { normalizeUsername } from '../identity/accounts/username.js';
import { providerRevocationHooks } from '../identity/provider/revocation-hooks.js';
import type { SessionService } from '../identity/sessions/index.js';
import { fromSqlBool, type Database } from '../store/schema.js';

/**
 * The roles an administrator may put on a new account: the roles it holds itself, and the
 * `/v1` roles the operator configured in `authz.roles`. Anything else — a role that grants
 * nothing here but might be honoured elsewhere, or a privileged role the administrator lacks —
 * is refused, so an admin can never mint a principal stronger than itself. (Which tenant the
 * account lands in is a separate rule: always the admin's own.)
 */
export function rolesNotGrantable(
  config: Pick<Config, 'authz'>,
  held: readonly string[],
  requested: readonly string[],
): string[] {
  return requested.filter(
    (role) => !held.includes(role) && !Object.hasOwn(config.authz.roles, role),
  );
}

/**
 * Whether an account created with `roles` must enrol TOTP at its first login: whenever it can
 * administer (the configured `admin.role`, or the conventional `admin`).
 */
export function mustEnrollTotpFor(
  config: Pick<Config, 'admin'>,
  roles: readonly string[],
): boolean {
  return roles.includes(config.admin.role) || roles.includes('admin');
}

export interface DisableAccountDeps {
  readonly db: Kysely<Database>;
  readonly accounts: AccountAdmin;
  readonly sessions: SessionService;
  /** The embedded provider's issuer (`server.publicUrl`): the `iss` of the account's tokens. */
  readonly issuer: string;
}

export type DisableOutcome =
  | { readonly found: false }
  | { readonly found: true; readonly account: AccountSummary; readonly revoked: boolean };

/**
 * Disables (or re-enables) a local account by username, the same way for `rampart admin
 * disable-user` and `PATCH /admin/v1/accounts/{username}`. Disabling does three things, in
 * this order: the account's logins fail from now on; every access token it holds is refused
 * from the next request (a subject revocation under the embedded issuer, broadcast to the
 * replicas); and every grant of the account is deleted, so its refresh tokens stop working —
 * without that a disabled account would keep minting fresh access tokens. Re-enabling only
 * lifts the first: the revoked tokens and grants stay dead, the user signs in again.
 *
 * `tenant` confines the lookup: an account of another tenant is `found: false`, exactly like
 * one that does not exist. Undefined (the local operator) reaches every tenant.
 */
export async function setAccountDisabled(
  deps: DisableAccountDeps,
  username: string,
  disabled: boolean,
  tenant?: string,
): Promise<DisableOutcome> {
  const repository = new AccountRepository(deps.db);
  const name = normalizeUsername(username);
  const row = name === undefined ? undefined : await repository.byUsernameKey(name.key);
  if (row === undefined) return { found: false };
  if (tenant !== undefined && (row.tenant ?? '') !== tenant) return { found: false };
  await deps.accounts.setDisabled(row.username, disabled);
  let revoked = false;
  if (disabled) {
    const owner = { tenant: row.tenant ?? '', issuer: deps.issuer, subject: row.id };
    revoked = (await deps.sessions.revokeSubject(owner.tenant, row.id, deps.issuer, true)) > 0;
    // The gateway's SessionService runs this hook itself; a local one does not. Deleting what
    // is already deleted is a no-op, so both paths end the same.
    await providerRevocationHooks(deps.db, deps.issuer).onSubjectRevoked?.(row.id, owner);
  }
  const current = (await repository.byId(row.id)) ?? row;
  const account: AccountSummary = {
    id: current.id,
    username: current.username,
    tenant: current.tenant ?? undefined,
    roles: rolesOf(current),
    totpEnrolled: current.totp_secret !== null,
    passkeys: await repository.passkeyCount(current.id),
    mustEnrollTotp: fromSqlBool(current.must_enroll_totp),
    disabled: fromSqlBool(current.disabled),
    createdAt: Number(current.created_at),
  };
  return { found: true, account, revoked };
}
