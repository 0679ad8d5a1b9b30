import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { gatewayError } from '../errors.js';
import { ServiceKeyRepository, type ServiceKey } from '../identity/service-keys/index.js';
import type { Database } from '../store/schema.js';
import { rolesNotGrantable } from './account-actions.js';
import { adminOf, parse, requireOwnTenant, tenantOf } from './http.js';
import { API_FIELDS, checkServiceKeyRequest } from './service-key-rules.js';

export interface ServiceKeyRoutesDeps {
  readonly config: Pick<Config, 'admin' | 'authz' | 'auth' | 'models' | 'demo'>;
  readonly db: Kysely<Database>;
  readonly now?: (() => number) | undefined;
}

const createBody = z.strictObject({
  name: z.string().min(1).max(128),
  roles: z.array(z.string().min(1).max(64)).min(1).max(32),
  aliases: z.array(z.string().min(1).max(256)).max(64).default([]),
  tenant: z.string().min(1).max(256).optional(),
  expiresIn: z.string().min(1).max(16).default('90d'),
});
const idParams = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'expected a service key id'),
});

/**
 * `/admin/v1/service-keys`: keys for server-to-server callers, as `rampart admin create-key |
 * list-keys | revoke-key` manage them locally, with the same rules (`checkServiceKeyRequest`)
 * and repository. Confined to the administrator's tenant.
 *
 * - `POST /service-keys` `{name, roles, aliases?, tenant?, expiresIn?}` → 201 `{key,
 *   serviceKey}`: `key` is the secret, in this response only (`Cache-Control: no-store`); the
 *   store keeps its hash. Refusals: 400 `admin.invalid_body` (each problem with its fix), 403
 *   `admin.tenant_forbidden`, 403 `admin.role_forbidden`.
 * - `GET /service-keys` → `{serviceKeys}` of the tenant, each with `status`; never a secret or hash.
 * - `DELETE /service-keys/{id}` → `{revoked: 'service-key', id, alreadyRevoked}`; another
 *   tenant's key answers 404 `admin.not_found`, like an unknown id.
 */
export function installServiceKeyRoutes(api: FastifyInstance, deps: ServiceKeyRoutesDeps): void {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const keys = new ServiceKeyRepository(deps.db);

  api.post('/service-keys', async (request, reply) => {
    const principal = adminOf(request);
    const body = parse(createBody, request.body, 'admin.invalid_body');
    requireOwnTenant(principal, body.tenant);
    const refused = rolesNotGrantable(config, principal.roles, body.roles);
    if (refused.length > 0) {
      throw gatewayError(
        'admin.role_forbidden',
        `You may grant only roles you hold or roles of authz.roles; not: ${refused.join(', ')}.`,
      );
    }
    const roles = [...new Set(body.roles)];
    const aliases = [...new Set(body.aliases)];
    const check = checkServiceKeyRequest(
      config,
      { name: body.name, tenant: principal.tenant, roles, aliases, expiresIn: body.expiresIn },
      API_FIELDS,
    );
    if (!check.ok) {
      throw gatewayError('admin.invalid_body', `${check.problems.join('; ')}.`, {
        extensions: { problems: check.problems },
      });
    }
    const createdAt = now();
    const created = await keys.create({
      name: body.name,
      tenant: principal.tenant,
      roles,
      aliases: aliases.length === 0 ? undefined : aliases,
      createdAt,
      expiresAt: createdAt + check.lifetimeMs,
      // The subject names who did it in the store; it is never logged.
      createdBy: `admin:${principal.subject}`.slice(0, 300),
    });
    request.log.info({ action: 'create-service-key' }, 'admin action');
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ key: created.key, serviceKey: view(created.serviceKey, createdAt) });
  });

  api.get('/service-keys', async (request) => {
    const tenant = tenantOf(adminOf(request));
    // The repository's "no tenant" means every tenant: filter here, so a tenant-less admin
    // sees only tenant-less keys.
    const listed = await keys.list(tenant === '' ? {} : { tenant });
    const at = now();
    return {
      serviceKeys: listed
        .filter((key) => (key.tenant ?? '') === tenant)
        .map((key) => view(key, at)),
    };
  });

  api.delete('/service-keys/:id', async (request) => {
    const tenant = tenantOf(adminOf(request));
    const { id } = parse(idParams, request.params);
    const found = await keys.find(id);
    if (found === undefined || (found.tenant ?? '') !== tenant) {
      throw gatewayError('admin.not_found', 'No such service key in your tenant.');
    }
    const result = await keys.revoke(id, now());
    request.log.info({ action: 'revoke-service-key' }, 'admin action');
    return { revoked: 'service-key', id, alreadyRevoked: result === 'already_revoked' };
  });
}

/** A key on the wire: everything `list` returns (never the hash) with ISO times and a status. */
function view(key: ServiceKey, now: number) {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    id: key.id,
    name: key.name,
    tenant: key.tenant ?? null,
    roles: key.roles,
    aliases: key.aliases ?? null,
    createdAt: iso(key.createdAt),
    expiresAt: iso(key.expiresAt),
    revokedAt: iso(key.revokedAt),
    lastUsedAt: iso(key.lastUsedAt),
    createdBy: key.createdBy,
    status: key.revokedAt !== undefined ? 'revoked' : key.expiresAt <= now ? 'expired' : 'active',
  };
}
