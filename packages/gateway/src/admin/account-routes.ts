import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { gatewayError } from '../errors.js';
import { createAccountAdmin, type AccountSummary } from '../identity/accounts/index.js';
import type { SessionService } from '../identity/sessions/index.js';
import type { Database } from '../store/schema.js';
import { mustEnrollTotpFor, rolesNotGrantable, setAccountDisabled } from './account-actions.js';
import { adminOf, parse, requireOwnTenant, tenantOf } from './http.js';

export interface AccountRoutesDeps {
  readonly config: Pick<Config, 'accounts' | 'admin' | 'authz' | 'server'>;
  readonly db: Kysely<Database>;
  readonly sessions: SessionService;
  readonly now?: (() => number) | undefined;
}

// Bounds before any work: usernames normalise to at most 64 code points (×4 before NFKC);
// passwords are checked against 1024 bytes by the domain; roles and tenants are 1–64 of a-z0-9_-.
const username = z.string().min(1).max(256);
const createBody = z.strictObject({
  username,
  password: z.string().min(1).max(4096),
  roles: z.array(z.string().min(1).max(64)).max(32).default([]),
  tenant: z.string().min(1).max(256).optional(),
});
const usernameParams = z.strictObject({ username });
const patchBody = z.strictObject({ disabled: z.boolean() });

/**
 * `/admin/v1/accounts`: the embedded provider's local accounts, as `rampart admin create-user |
 * list-users | disable-user` manage them locally, through the same domain (`createAccountAdmin`,
 * `setAccountDisabled`). Served only when the embedded provider is on.
 *
 * - `POST /accounts` `{username, password, roles?, tenant?}` → 201 the account. The account
 *   lands in the administrator's tenant (`tenant`, if given, must be it: else 403
 *   `admin.tenant_forbidden`); each role must be held by the administrator or configured in
 *   `authz.roles` (else 403 `admin.role_forbidden`); an account with the admin role must enrol
 *   TOTP at first login. Domain refusals: `account.invalid`, `account.username_taken` (usernames
 *   are global: the answer says a name is taken, never by whom), `account.password_rejected`.
 * - `GET /accounts` → `{accounts}` of the administrator's tenant; never a hash or secret.
 * - `PATCH /accounts/{username}` `{disabled}` → the account; disabling also revokes every token
 *   and grant it holds. Another tenant's account answers 404 `admin.not_found`, like none.
 */
export function installAccountRoutes(api: FastifyInstance, deps: AccountRoutesDeps): void {
  const { config } = deps;
  const accounts = createAccountAdmin({
    db: deps.db,
    config: config.accounts,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });

  api.post('/accounts', async (request, reply) => {
    const principal = adminOf(request);
    const body = parse(createBody, request.body, 'admin.invalid_body');
    requireOwnTenant(principal, body.tenant);
    const refused = rolesNotGrantable(config, principal.roles, body.roles);
    if (refused.length > 0) {
      throw gatewayError(
        'admin.role_forbidden',
        `You may grant only roles you hold or roles of authz.roles; not: ${refused.map((role) => role.slice(0, 64)).join(', ')}.`,
      );
    }
    const account = await accounts.createAccount({
      username: body.username,
      password: body.password,
      roles: body.roles,
      tenant: principal.tenant,
      mustEnrollTotp: mustEnrollTotpFor(config, body.roles),
    });
    request.log.info({ action: 'create-account' }, 'admin action');
    return reply.code(201).header('cache-control', 'no-store').send(view(account));
  });

  api.get('/accounts', async (request) => {
    const tenant = tenantOf(adminOf(request));
    const listed = await accounts.listAccounts();
    return { accounts: listed.filter((account) => (account.tenant ?? '') === tenant).map(view) };
  });

  api.patch('/accounts/:username', async (request) => {
    const principal = adminOf(request);
    const { username: name } = parse(usernameParams, request.params);
    const { disabled } = parse(patchBody, request.body, 'admin.invalid_body');
    const outcome = await setAccountDisabled(
      { db: deps.db, accounts, sessions: deps.sessions, issuer: config.server.publicUrl },
      name,
      disabled,
      tenantOf(principal),
    );
    if (!outcome.found) throw gatewayError('admin.not_found', 'No such account in your tenant.');
    request.log.info({ action: disabled ? 'disable-account' : 'enable-account' }, 'admin action');
    return { account: view(outcome.account), tokensRevoked: outcome.revoked };
  });
}

/** The wire form: ISO 8601 times, like the rest of the admin API. */
function view(account: AccountSummary) {
  return {
    id: account.id,
    username: account.username,
    tenant: account.tenant ?? null,
    roles: account.roles,
    totpEnrolled: account.totpEnrolled,
    passkeys: account.passkeys,
    mustEnrollTotp: account.mustEnrollTotp,
    disabled: account.disabled,
    createdAt: new Date(account.createdAt).toISOString(),
  };
}
