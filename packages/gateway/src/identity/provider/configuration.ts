import type { Kysely } from 'kysely';
import Provider, {
  errors,
  interactionPolicy,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Config } from '../../config/index.js';
import type { Keyring } from '../../keys/index.js';
import type { Database } from '../../store/schema.js';
import type { AccountService } from '../accounts/service.js';
import { KyselyAdapter } from './adapter.js';
import { API_SCOPE, identityAudience, LOGIN_PATH, OAUTH_ROUTES } from './constants.js';
import { renderErrorPage } from './pages.js';
import { providerNonceSecret } from '../../pipeline/authenticate/nonce.js';

/** Lifetimes in seconds of what is not configurable. */
const AUTHORIZATION_CODE_TTL = 60;
const INTERACTION_TTL = 600;
const SESSION_TTL = 600;

export interface ProviderDeps {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
  readonly accounts: AccountService;
  /** Epoch milliseconds, for the adapter's expiry (oidc-provider itself reads the real clock). */
  readonly now?: () => number;
}

/**
 * The oidc-provider instance for first-party native apps (RFC 8252): authorization code with
 * PKCE S256 only (no implicit, password or client-credentials grant), public clients
 * (`token_endpoint_auth_method: none`), DPoP (RFC 9449) required per client, RFC 9068 JWT access
 * tokens signed ES256 by the current `oidc-signing` key, refresh tokens rotated on every use
 * with an absolute lifetime, revocation (RFC 7009). Every model is stored through the Kysely
 * adapter. The issuer is `server.publicUrl`.
 */
export function createOidcProvider(deps: ProviderDeps): Provider {
  const { config, keyring, accounts } = deps;
  const { identity } = config;
  const audience = identityAudience(config);
  const signing = keyring.verificationKeys('oidc-signing');
  const currentKid = keyring.current('oidc-signing').kid;
  const refreshTtl = identity.refreshTokenTtlSeconds;

  const policy = interactionPolicy.base();
  // Every authorization request logs in anew: an app's login is never silently granted from a
  // browser cookie left by an earlier one (and a revoked session cannot be revived that way).
  policy
    .get('login')
    ?.checks.add(
      new interactionPolicy.Check('fresh_login', 'each authorization needs a login', (ctx) =>
        ctx.oidc.result?.['login'] === undefined
          ? interactionPolicy.Check.REQUEST_PROMPT
          : interactionPolicy.Check.NO_NEED_TO_PROMPT,
      ),
    );

  const configuration: Configuration = {
    adapter: (model: string) => new KyselyAdapter(model, deps.db, deps.now),
    clients: identity.clients.map((client) => ({
      client_id: client.clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [...client.redirectUris],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      dpop_bound_access_tokens: identity.requireDpop,
      id_token_signed_response_alg: 'ES256',
    })),
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    // Current key first (it signs); retired keys in their overlap are published and verify.
    jwks: { keys: signing.map((version) => version.exportPrivateJwk() as never) },
    cookies: {
      keys: keyring
        .verificationKeys('cookie-secret')
        .map((version) => version.key.export().toString('base64url')),
    },
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', API_SCOPE],
    claims: { openid: ['sub'] },
    pkce: { required: () => true },
    routes: OAUTH_ROUTES,
    features: {
      devInteractions: { enabled: false },
      dPoP: dpopFeature(config, keyring),
      revocation: { enabled: true },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) throw new errors.InvalidTarget();
          return {
            scope: API_SCOPE,
            audience,
            accessTokenTTL: identity.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256', kid: currentKid } },
          };
        },
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${LOGIN_PATH}/${interaction.uid}`,
    },
    findAccount: async (_ctx, id) => {
      const account = await accounts.findAccount(id);
      if (account === undefined) return undefined;
      return { accountId: account.id, claims: () => ({ sub: account.id }) };
    },
    // A native app's login outlives the browser session that produced it.
    expiresWithSession: () => false,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    extraTokenClaims: (ctx, token) => tokenClaims(ctx, token, accounts),
    ttl: {
      AccessToken: identity.accessTokenTtlSeconds,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      Interaction: INTERACTION_TTL,
      Session: SESSION_TTL,
      Grant: refreshTtl,
      IdToken: identity.accessTokenTtlSeconds,
      RefreshToken: absoluteRefreshTtl(refreshTtl),
    },
    clientBasedCORS: () => false,
    renderError: (ctx, out) => {
      ctx.set(
        'content-security-policy',
        "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
      );
      ctx.type = 'html';
      ctx.body = renderErrorPage(out.error, out.error_description);
    },
  };
  const provider = new Provider(config.server.publicUrl, configuration);
  // The forwarding route (install.ts) overwrites Host and X-Forwarded-* with server.publicUrl
  // and the resolved client address, so reading them is safe and pins every URL to the issuer.
  provider.proxy = true;
  return provider;
}

/**
 * `features.dPoP`: always on; with `auth.dpop.nonce.required` the token endpoint requires
 * server nonces too (RFC 9449 section 8), answering `use_dpop_nonce` with one in `DPoP-Nonce`.
 * The resource server issues and accepts nonces by the same scheme with the same secret
 * (pipeline/authenticate/nonce.ts), so one nonce serves the whole origin.
 */
function dpopFeature(
  config: Config,
  keyring: Keyring,
): NonNullable<NonNullable<Configuration['features']>['dPoP']> {
  if (!config.auth.dpop.nonce.required) return { enabled: true };
  return {
    enabled: true,
    nonceSecret: providerNonceSecret(keyring.current('cookie-secret').key),
    requireNonce: () => true,
  };
}

/**
 * The custom claims of an access token (RFC 9068 section 2.2.3): the account's current roles
 * and tenant (read again at each refresh, so a role change takes effect within one access
 * token lifetime), the `acr`/`amr` of the login that started the grant, and `sid`, the grant id:
 * the unit a session revocation kills.
 */
async function tokenClaims(
  ctx: KoaContextWithOIDC,
  token: { readonly kind: string; readonly accountId?: string; readonly grantId?: string },
  accounts: AccountService,
): Promise<Record<string, unknown> | undefined> {
  if (token.kind !== 'AccessToken' || token.accountId === undefined) return undefined;
  const { entities } = ctx.oidc;
  const source = entities.RefreshToken ?? entities.AuthorizationCode;
  const account = await accounts.findAccount(token.accountId);
  return {
    roles: account === undefined ? [] : [...account.roles],
    ...(account?.tenant === undefined ? {} : { tenant: account.tenant }),
    acr: source?.acr,
    amr: source?.amr,
    sid: token.grantId,
  };
}

/**
 * The lifetime of a new refresh token, in seconds: the login's full lifetime for the first one,
 * and what was left of the token it replaces for a rotated one, so a login ends
 * `identity.refreshTokenTtlSeconds` after it began however often it is refreshed.
 * (oidc-provider's default gives a sender-constrained token a fresh lifetime at each rotation.)
 */
export function absoluteRefreshTtl(lifetimeSeconds: number): (ctx: {
  readonly oidc: {
    readonly entities: {
      readonly RotatedRefreshToken?: { readonly remainingTTL: number } | undefined;
    };
  };
}) => number {
  return (ctx) => {
    const rotated = ctx.oidc.entities.RotatedRefreshToken;
    return rotated === undefined ? lifetimeSeconds : Math.max(1, rotated.remainingTTL);
  };
}
