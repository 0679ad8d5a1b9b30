import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { gatewayError } from '../errors.js';
import type { SessionService } from '../identity/sessions/index.js';
import type { Authenticator } from '../pipeline/authenticate/index.js';
import type { Database } from '../store/schema.js';
import { installAccountRoutes } from './account-routes.js';
import { adminOf, guardAdminPlugin, parse } from './http.js';
import { mfaPolicy, roleIsAdmin, type HasMfa, type IsAdmin } from './policy.js';
import { installServiceKeyRoutes } from './service-key-routes.js';

export { mfaPolicy, roleIsAdmin, type HasMfa, type IsAdmin } from './policy.js';
export {
  mustEnrollTotpFor,
  rolesNotGrantable,
  setAccountDisabled,
  type DisableAccountDeps,
  type DisableOutcome,
} from './account-actions.js';
export {
  API_FIELDS,
  checkServiceKeyRequest,
  CLI_FIELDS,
  type FieldNames,
  type ServiceKeyCheck,
  type ServiceKeyRequest,
} from './service-key-rules.js';

export const ADMIN_PREFIX = '/admin/v1';

export interface AdminDeps {
  readonly config: Pick<
    Config,
    'admin' | 'authz' | 'accounts' | 'auth' | 'models' | 'demo' | 'identity' | 'server'
  >;
  /** The authenticator the `/v1` stage uses; absent (no issuer): the admin API is not served. */
  readonly authenticator?: Authenticator | undefined;
  readonly sessions?: SessionService | undefined;
  /** Default: holds `admin.role`. The authorization work may pass its own. */
  readonly isAdmin?: IsAdmin;
  /** Default: `admin.requireMfa` with `authz.mfa.acrValues` (`hasMultiFactor`). */
  readonly hasMfa?: HasMfa;
  /** The store: with it, service keys (and, with the embedded provider, accounts) are served. */
  readonly db?: Kysely<Database> | undefined;
  /** The clock for creation, expiry and revocation times (tests freeze it). */
  readonly now?: (() => number) | undefined;
}

/** Bounds: claims reach at most 256 characters (authenticate/claims.ts); issuers 2048. */
const subject = z.string().min(1).max(256);
const userParams = z.strictObject({ subject });
const deviceParams = z.strictObject({
  subject,
  jkt: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9_-]+$/, 'expected a base64url key thumbprint'),
});
const sessionParams = z.strictObject({ subject, sessionId: z.string().min(1).max(256) });
const query = z.strictObject({ issuer: z.string().min(1).max(2048).optional() });

/**
 * The admin API (`/admin/v1`): a user's devices and sessions, listed and revoked; service keys
 * (service-key-routes.ts) and, with the embedded provider, local accounts (account-routes.ts).
 * Every route authenticates with the shared authenticator (Bearer or DPoP, like `/v1`) before
 * its body is read, requires the admin role and MFA (http.ts), and acts only within the admin's
 * own tenant (the principal's; none is its own tenant). A user, device, session, account or key
 * outside it answers 404 exactly like one that does not exist, so an admin cannot learn what
 * another tenant holds. Errors are problem+json.
 *
 * Installed from app.ts with one line; serves nothing without an authenticator.
 */
export function installAdmin(app: FastifyInstance, deps: AdminDeps): void {
  const { authenticator, sessions } = deps;
  if (authenticator === undefined || sessions === undefined) return;
  const isAdmin = deps.isAdmin ?? roleIsAdmin(deps.config);
  const hasMfa = deps.hasMfa ?? mfaPolicy(deps.config);
  const { db, config } = deps;

  void app.register(
    (api, _options, done) => {
      guardAdminPlugin(api, authenticator, isAdmin, hasMfa);
      if (db !== undefined) {
        installServiceKeyRoutes(api, { config, db, now: deps.now });
        if (config.identity.enabled) {
          installAccountRoutes(api, { config, db, sessions, now: deps.now });
        }
      }
      api.get('/users/:subject/devices', async (request) => {
        const principal = adminOf(request);
        const { subject } = parse(userParams, request.params);
        const { issuer } = parse(query, request.query);
        const tenant = principal.tenant ?? '';
        const devices = await sessions.listDevices(tenant, subject, issuer);
        if (devices.length === 0) await notFoundUnlessKnown(sessions, tenant, subject, issuer);
        return {
          subject,
          devices: devices.map((device) => ({
            issuer: device.issuer,
            jkt: device.jkt,
            firstSeenAt: new Date(device.firstSeenAt).toISOString(),
            lastSeenAt: new Date(device.lastSeenAt).toISOString(),
            attestationState: device.attestationState,
            revoked: device.revoked,
          })),
        };
      });

      api.get('/users/:subject/sessions', async (request) => {
        const principal = adminOf(request);
        const { subject } = parse(userParams, request.params);
        const { issuer } = parse(query, request.query);
        const tenant = principal.tenant ?? '';
        const list = await sessions.listSessions(tenant, subject, issuer);
        if (list.length === 0) await notFoundUnlessKnown(sessions, tenant, subject, issuer);
        return {
          subject,
          sessions: list.map((session) => ({
            issuer: session.issuer,
            sessionId: session.sessionId,
            deviceJkt: session.deviceJkt,
            firstSeenAt: new Date(session.firstSeenAt).toISOString(),
            lastSeenAt: new Date(session.lastSeenAt).toISOString(),
            revoked: session.revoked,
          })),
        };
      });

      api.delete('/users/:subject/devices/:jkt', async (request) => {
        const principal = adminOf(request);
        const { subject, jkt } = parse(deviceParams, request.params);
        const { issuer } = parse(query, request.query);
        const count = await sessions.revokeDevice(principal.tenant ?? '', subject, jkt, issuer);
        return revoked(request, 'device', count);
      });

      api.delete('/users/:subject/sessions/:sessionId', async (request) => {
        const principal = adminOf(request);
        const { subject, sessionId } = parse(sessionParams, request.params);
        const { issuer } = parse(query, request.query);
        const tenant = principal.tenant ?? '';
        const count = await sessions.revokeSession(tenant, subject, sessionId, issuer);
        return revoked(request, 'session', count);
      });

      api.delete('/users/:subject/sessions', async (request) => {
        const principal = adminOf(request);
        const { subject } = parse(userParams, request.params);
        const { issuer } = parse(query, request.query);
        const count = await sessions.revokeSubject(principal.tenant ?? '', subject, issuer);
        return revoked(request, 'subject', count);
      });
      done();
    },
    { prefix: ADMIN_PREFIX },
  );
}

/** A subject with neither device nor session in the tenant is unknown there: 404. */
async function notFoundUnlessKnown(
  sessions: SessionService,
  tenant: string,
  subject: string,
  issuer: string | undefined,
): Promise<void> {
  const known =
    (await sessions.listDevices(tenant, subject, issuer)).length > 0 ||
    (await sessions.listSessions(tenant, subject, issuer)).length > 0;
  if (!known) throw gatewayError('admin.not_found', 'No such user in your tenant.');
}

function revoked(request: FastifyRequest, kind: 'device' | 'session' | 'subject', count: number) {
  if (count === 0) {
    throw gatewayError(
      'admin.not_found',
      `No such ${kind === 'subject' ? 'user' : kind} in your tenant.`,
    );
  }
  // The subject is personal data: the line says what was done, not to whom.
  request.log.info({ action: `revoke-${kind}`, count }, 'admin revocation');
  return { revoked: kind, count };
}
