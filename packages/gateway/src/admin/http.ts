import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { gatewayError } from '../errors.js';
import type { Authenticator } from '../pipeline/authenticate/index.js';
import type { Principal } from '../pipeline/exchange.js';
import type { HasMfa, IsAdmin } from './policy.js';

/** Largest admin request body (a new account or key is a few hundred bytes). */
export const ADMIN_BODY_LIMIT = 16 * 1024;

const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * Authenticates every request of the admin plugin in `onRequest`, before any body is read, so
 * that nobody without an administrator's token gets a byte parsed: the shared authenticator
 * (Bearer or DPoP, like `/v1`), then the admin role, then MFA. Then accepts JSON bodies of at
 * most ADMIN_BODY_LIMIT bytes (Fastify's parser, which refuses `__proto__` and `constructor`
 * keys); any other content type reaches the handler as no body, which its schema refuses.
 */
export function guardAdminPlugin(
  api: FastifyInstance,
  authenticator: Authenticator,
  isAdmin: IsAdmin,
  hasMfa: HasMfa,
): void {
  api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await authenticator.authenticate(request, reply);
    if (!isAdmin(principal)) {
      throw gatewayError('authz.admin_required', 'This API needs the administrator role.');
    }
    if (!hasMfa(principal)) {
      throw gatewayError('authz.mfa_required', 'Sign in with a second factor to administer.');
    }
    principals.set(request, principal);
  });
  api.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: ADMIN_BODY_LIMIT },
    api.getDefaultJsonParser('error', 'error'),
  );
}

/** The administrator behind a request the plugin's hook let through. */
export function adminOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  // Unreachable: the hook runs before every handler of the plugin. Fail closed regardless.
  if (principal === undefined) throw gatewayError('authz.admin_required');
  return principal;
}

/** The administrator's tenant as the stores key it (`''`: principals without a tenant). */
export function tenantOf(principal: Principal): string {
  return principal.tenant ?? '';
}

/** Validates with zod; the first problem becomes `code`'s detail (path and message, no value). */
export function parse<T>(
  schema: z.ZodType<T>,
  value: unknown,
  code: 'admin.invalid_request' | 'admin.invalid_body' = 'admin.invalid_request',
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join('.') || (code === 'admin.invalid_body' ? 'body' : 'request');
  throw gatewayError(code, `Invalid ${where}: ${issue?.message ?? 'invalid'}.`);
}

/**
 * A tenant named in a body must be the administrator's own; naming any other is refused the
 * same way whether that tenant exists or not.
 */
export function requireOwnTenant(principal: Principal, named: string | undefined): void {
  if (named !== undefined && named !== (principal.tenant ?? '')) {
    throw gatewayError(
      'admin.tenant_forbidden',
      'An administrator acts only within its own tenant; leave tenant out or name your own.',
    );
  }
}
