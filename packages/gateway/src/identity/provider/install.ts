import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Config } from '../../config/index.js';
import { gatewayError } from '../../errors.js';
import type { Keyring } from '../../keys/index.js';
import type { Database } from '../../store/schema.js';
import type { AccountService } from '../accounts/service.js';
import { sweepExpiredPayloads } from './adapter.js';
import { identityAudience } from './constants.js';
import { installInteractions } from './interactions.js';
import { importProviderConfiguration } from './load.js';
import { localIssuerTrust, type LocalIssuerTrust } from './local-issuer.js';

type ProviderCallback = ReturnType<Provider['callback']>;

/** Largest body forwarded to the provider (its own reader stops at 56 KiB anyway). */
const MAX_OAUTH_BODY_BYTES = 56 * 1024;
/** How often expired provider rows are deleted (lookups already ignore them). */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export interface IdentityDeps {
  readonly config: Config;
  readonly logger: FastifyBaseLogger;
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
  /** The accounts domain (identity/accounts); the login pages use nothing else. */
  readonly accounts: AccountService;
  /** Epoch milliseconds, for the store adapter's expiry. */
  readonly now?: () => number;
}

/**
 * Mounts the embedded OAuth 2.0 / OpenID Connect provider when `identity.enabled`: the
 * provider's own Node handler under `/oauth/*` and `/.well-known/openid-configuration` (its
 * answers, errors included, are OAuth-style JSON, RFC 6749 section 5.2), and the login pages
 * under `/login/*`. Returns what the `/v1` resource server needs to trust the provider's
 * tokens, or undefined when the section is off.
 */
export function installIdentity(
  app: FastifyInstance,
  deps: IdentityDeps,
): LocalIssuerTrust | undefined {
  const { config } = deps;
  if (!config.identity.enabled) return undefined;
  // oidc-provider is loaded only when the provider is on (it is a large module graph, and it
  // warns on import about Node versions older than the ones it is tested on: load.ts).
  void app.register(async (scope) => {
    const { createOidcProvider } = await importProviderConfiguration(deps.logger);
    // The provider's JWKS, signing key, cookie keys and nonce secret are fixed when it is
    // built, so it is built again when the keyring's keys change (a rotation, a reload: see
    // keys/watch.ts). Its state is all in the store, so nothing is lost with the old instance.
    let built: { generation: number; provider: Provider; callback: ProviderCallback } | undefined;
    const current = () => {
      const generation = deps.keyring.generation;
      if (built === undefined || built.generation !== generation) {
        const provider = createOidcProvider(deps);
        provider.on('server_error', (_ctx, error) => {
          deps.logger.error({ err: error }, 'identity provider error');
        });
        built = { generation, provider, callback: provider.callback() };
      }
      return built;
    };
    current();
    const publicUrl = new URL(config.server.publicUrl);
    const forward = (request: FastifyRequest, reply: FastifyReply) => {
      const length = Number(request.headers['content-length'] ?? 0);
      if (length > MAX_OAUTH_BODY_BYTES) {
        throw gatewayError('request.body_too_large', 'The body is too large.');
      }
      // Every URL the provider builds or checks (endpoints in discovery, a DPoP proof's `htu`)
      // is pinned to server.publicUrl, whatever Host or X-Forwarded-* the client sent: the
      // same URL the /v1 resource server checks proofs against. The client address is the
      // one Fastify resolved (server.trustedProxies applied).
      const headers = request.raw.headers;
      headers.host = publicUrl.host;
      headers['x-forwarded-host'] = publicUrl.host;
      headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
      headers['x-forwarded-for'] = request.ip;
      reply.hijack();
      reply.raw.setHeader('x-request-id', request.id);
      void current().callback(request.raw, reply.raw);
    };
    const methods = ['GET', 'POST', 'OPTIONS'];
    scope.route({ method: methods, url: '/oauth/*', handler: forward });
    scope.route({ method: methods, url: '/.well-known/openid-configuration', handler: forward });

    installInteractions(scope, {
      provider: () => current().provider,
      accounts: deps.accounts,
      issuer: config.server.publicUrl,
      audience: identityAudience(config),
      redirectTargets: redirectTargets(config),
    });
  });

  const sweep = setInterval(() => {
    sweepExpiredPayloads(deps.db, (deps.now ?? Date.now)()).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'identity: sweeping expired provider state failed');
    });
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    done();
  });
  return localIssuerTrust(config, deps.keyring);
}

/** CSP `form-action` sources for every registered redirect URI: its origin, or its scheme. */
function redirectTargets(config: Config): string[] {
  const targets = new Set<string>();
  for (const client of config.identity.clients) {
    for (const uri of client.redirectUris) {
      const url = new URL(uri);
      if (url.protocol === 'https:') targets.add(url.origin);
      else if (url.protocol === 'http:')
        targets.add(`http://${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:*`);
      else targets.add(url.protocol);
    }
  }
  return [...targets];
}
