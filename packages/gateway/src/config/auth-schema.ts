import { z } from 'zod';
import { isLoopbackHost } from '../http/address.js';
import './meta.js';

/**
 * The `auth` section: the authenticate stage as an OAuth 2.0 resource server. Each trusted
 * issuer is listed with the JWKS its keys come from; the algorithms are pinned per issuer and
 * only asymmetric ones exist here (a symmetric or `none` algorithm is refused by the schema, so
 * key confusion cannot be configured). Authentication is on unless `mode: none` says otherwise;
 * with no issuer listed, the embedded provider (`identity`) issues the tokens.
 */

/** Asymmetric JWS algorithms an access token or a DPoP proof may use; never `none` or HS*. */
export const ASYMMETRIC_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;

/** Refused by the enum itself: "none" and HS* are not among its values (config errors list them). */
const algorithm = z.enum(ASYMMETRIC_ALGORITHMS);

const jwksUrl = z
  .url({ protocol: /^https?$/, error: 'expected an https:// URL' })
  .refine(
    (value) => {
      const url = new URL(value);
      return url.protocol === 'https:' || isLoopbackHost(url.hostname);
    },
    { message: 'expected an https:// URL (plain http:// only for a loopback host)' },
  )
  .refine(
    (value) => {
      const url = new URL(value);
      return url.username === '' && url.password === '';
    },
    { message: 'credentials in the URL are refused' },
  );

/** A claim path: a top-level claim name (which may contain dots, as Auth0's URL names do), or a dotted path. */
const claimPath = z.string().min(1).max(256);

const issuerSchema = z.strictObject({
  issuer: z.string().min(1).max(2048).meta({
    description:
      "The issuer identifier, exactly as the tokens' `iss` claim carries it (e.g. `https://example.eu.auth0.com/`, `https://securetoken.google.com/<project>`). The issuer is chosen by this value alone: no URL named inside a token (`jku`, `x5u`, `jwk`) is ever fetched or trusted.",
  }),
  jwksUri: jwksUrl.meta({
    description:
      "The issuer's JSON Web Key Set. `https://` only; plain `http://` only for a loopback host. Keys are cached, and refetched at most once per 30 s when a token names a key id the cache lacks; a fetch is bounded to 5 s.",
  }),
  audiences: z.array(z.string().min(1).max(2048)).min(1).meta({
    description:
      "Values of which the token's `aud` must contain at least one: the API identifier this gateway is known by at the issuer.",
  }),
  algorithms: z.array(algorithm).min(1).default(['RS256', 'ES256', 'EdDSA']).meta({
    description:
      'The JWS algorithms accepted from this issuer (pinned: a token in any other is refused). Asymmetric only; `none` and HS* are refused by the schema.',
  }),
  clockSkewSeconds: z.number().int().min(0).max(300).default(30).meta({
    description:
      'Tolerance for clock differences with the issuer when checking `exp`, `nbf` and `iat` (a token issued further in the future is refused).',
  }),
  claims: z
    .strictObject({
      roles: claimPath.default('roles').meta({
        description:
          'Claim holding the roles: a top-level claim name (taken whole first, so `https://example.com/roles` works) or a dotted path (`realm_access.roles` for Keycloak). An array of strings, or one space-separated string.',
      }),
      tenant: claimPath.optional().meta({
        description: 'Claim holding the tenant (a string), same syntax as `claims.roles`.',
        defaultText: 'unset (no tenant)',
      }),
    })
    .prefault({}),
});

/** `required`: every `/v1` request is authenticated; `none`: anonymous, an explicit opt-out. */
export const AUTH_MODES = ['required', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const authSchema = z.strictObject({
  mode: z.enum(AUTH_MODES).default('required').meta({
    description:
      '`required` (the default): every `/v1` request carries an access token (from `auth.issuers` or the embedded provider, `identity`) or, when enabled, a service key. `none`: `/v1` is anonymous and the authenticate and authorize stages do nothing, for local development against a local model; logged at warn at every start, and on a non-loopback bind refused unless `server.allowUnauthenticated: true`.',
  }),
  issuers: z
    .array(issuerSchema)
    .default([])
    .refine((list) => new Set(list.map((entry) => entry.issuer)).size === list.length, {
      message: 'each issuer may be listed once',
    })
    .meta({
      description:
        'Trusted token issuers (Auth0, Firebase Auth, Cognito, Supabase, Keycloak, Entra, …). Empty: the embedded provider (`identity`) is the issuer. Every `/v1` request needs `Authorization: Bearer <access token>` (or `DPoP <token>` with a `DPoP` proof when the token is bound to a key by `cnf.jkt`), verified before its body is read.',
    }),
  maxTokenBytes: z.number().int().min(512).max(65_536).default(8192).meta({
    description:
      'Longest access token accepted, checked before it is decoded (401 `auth.token_too_large` above); a DPoP proof is bounded by the same length.',
  }),
  serviceKeys: z
    .strictObject({
      enabled: z.boolean().default(false).meta({
        description:
          'Accept service keys (`Authorization: Bearer rk_…`, created with `rampart admin create-key`) on `/v1`, for server-to-server callers: your own backend, a batch job, tests; never a mobile app. Off unless set: the accepted credentials are a configuration decision, not a consequence of rows in the database. On, `/v1` is authenticated even with no `auth.issuers`.',
      }),
      maxLifetimeDays: z.number().int().min(1).max(3650).default(365).meta({
        description:
          'Longest lifetime `rampart admin create-key --expires-in` may give a key. Every key expires.',
      }),
      cacheTtlMs: z.number().int().min(0).max(60_000).default(0).meta({
        description:
          'How long a verified key is remembered in memory before its row is read again. 0 (the default): every request reads the key (one lookup by primary key), so a revocation from `rampart admin revoke-key` in another process takes effect on the next request. Above 0 trades that for fewer reads: a revocation made elsewhere may be missed for up to this long on each replica.',
      }),
    })
    .prefault({}),
  dpop: z
    .strictObject({
      maxAgeSeconds: z.number().int().min(1).max(600).default(60).meta({
        description:
          "How old a DPoP proof's `iat` may be (plus the issuer's `clockSkewSeconds`, which also bounds how far in the future it may be). Each proof's `jti` is remembered this long to refuse a replay.",
      }),
      algorithms: z.array(algorithm).min(1).default(['ES256', 'EdDSA', 'RS256', 'PS256']).meta({
        description: 'JWS algorithms accepted for DPoP proofs. Asymmetric only.',
      }),
      maxReplayEntries: z.number().int().min(1000).max(10_000_000).default(100_000).meta({
        description:
          'Most proof ids remembered in memory for replay detection; when full, new proofs are refused (503 `auth.replay_cache_full`) rather than forgetting one still inside its window. With `redis.url` set the cache lives in Redis instead, shared by every replica.',
      }),
      nonce: z
        .strictObject({
          required: z.boolean().default(false).meta({
            description:
              'Require a server nonce in every DPoP proof (RFC 9449 section 9): a proof without the current one is refused with 401 `auth.dpop_nonce_required` (`error="use_dpop_nonce"`) and a `DPoP-Nonce` header to retry with. This stops a device that held the key for a moment from signing proofs for later use beyond the `iat` window. Off by default so that clients without nonce handling keep working; turn it on once your clients retry on `use_dpop_nonce` (oauth4webapi does). One nonce scheme serves the whole origin: the embedded provider’s token endpoint requires the same nonces, so a client’s nonce works at both. A nonce is handed out every minute and stays accepted for about four; nonces are derived from the `cookie-secret` key and the time, so replicas sharing that key agree without shared state.',
          }),
        })
        .prefault({}),
    })
    .prefault({}),
});
