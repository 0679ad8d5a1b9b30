import { z } from 'zod';
import { isLoopbackBind, isLoopbackHost } from '../http/address.js';
import type { ConfigProblem } from './insecure.js';
import './meta.js';

/**
 * The `identity` section: the embedded OAuth 2.0 / OpenID Connect provider for first-party
 * native apps (RFC 8252). Its issuer is `server.publicUrl`; its tokens are verified by the
 * `/v1` resource server with the keyring's `oidc-signing` keys, without any HTTP fetch.
 */

const DAY_SECONDS = 86_400;

/** A client identifier: printable, no spaces, short enough to log. */
const clientId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected 1–128 letters, digits, `.`, `_`, `:` or `-`');

/**
 * Why a native app's redirect URI is refused, or undefined when RFC 8252 allows it: a claimed
 * `https://` URL (section 7.2), a private-use scheme in reverse-domain form (7.1, e.g.
 * `com.example.app:/oauth2redirect`), or a loopback `http://` address by IP literal (7.3; not
 * `localhost`, 8.3). Never a fragment, never credentials, never plain `http://` elsewhere.
 */
export function redirectUriProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URI';
  }
  if (url.hash !== '' || value.includes('#')) return 'a redirect URI may not have a fragment';
  if (url.username !== '' || url.password !== '') return 'credentials in the URI are refused';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return url.hostname === '' ? 'no host' : undefined;
  if (scheme === 'http') {
    if (url.hostname === 'localhost') {
      return 'use the loopback IP literal (http://127.0.0.1/… or http://[::1]/…), not localhost (RFC 8252 section 8.3)';
    }
    return isLoopbackHost(url.hostname)
      ? undefined
      : 'plain http:// is allowed only for a loopback IP literal (RFC 8252 section 7.3)';
  }
  if (
    ['javascript', 'data', 'file', 'blob', 'about', 'vbscript', 'ftp', 'ws', 'wss'].includes(scheme)
  ) {
    return `the ${scheme}: scheme is not a redirect scheme`;
  }
  // Private-use URI scheme (RFC 8252 section 7.1): reverse domain name of a domain the
  // publisher controls, so it contains a dot.
  if (!scheme.includes('.')) {
    return 'a private-use scheme must be a reverse domain name (com.example.app:/callback)';
  }
  return undefined;
}

const redirectUri = z
  .string()
  .max(2048)
  .superRefine((value, context) => {
    const problem = redirectUriProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });

const clientSchema = z.strictObject({
  clientId: clientId.meta({
    description: 'The `client_id` the app sends. A public client: it has no secret.',
  }),
  redirectUris: z.array(redirectUri).min(1).max(20).meta({
    description:
      'Where the authorization response may be sent (RFC 8252): a claimed `https://` URL (universal / app link), a private-use scheme in reverse-domain form (`com.example.app:/oauth2redirect`), or a loopback `http://127.0.0.1/…` (any port at run time). Plain `http://` to anything but a loopback IP literal is refused, and so is a fragment.',
  }),
});

export const identitySchema = z.strictObject({
  enabled: z.boolean().optional().meta({
    description:
      'Serve the embedded OAuth 2.0 / OpenID Connect provider (`/oauth/*`, `/.well-known/openid-configuration`) with `server.publicUrl` as issuer, and accept its access tokens on `/v1`. Requires an explicit `server.publicUrl` unless the gateway binds a loopback address on a fixed port.',
    defaultText:
      'on when `auth.mode` is `required` and `auth.issuers` is empty (the gateway is then its own issuer), off otherwise',
  }),
  clients: z
    .array(clientSchema)
    .default([])
    .refine((list) => new Set(list.map((entry) => entry.clientId)).size === list.length, {
      message: 'each clientId may be listed once',
    })
    .meta({
      description:
        'First-party native apps (public clients, `token_endpoint_auth_method: none`): authorization code with PKCE S256 only, refresh tokens that rotate on every use.',
    }),
  accessTokenTtlSeconds: z.number().int().min(30).max(3600).default(300).meta({
    description: 'Lifetime of an access token (an RFC 9068 JWT signed with `oidc-signing`).',
  }),
  refreshTokenTtlSeconds: z
    .number()
    .int()
    .min(300)
    .max(365 * DAY_SECONDS)
    .default(30 * DAY_SECONDS)
    .meta({
      description:
        'Absolute lifetime of a login (its grant): rotated refresh tokens keep the expiry of the first one, so a login ends this long after it began, whatever the activity.',
    }),
  audience: z.string().min(1).max(2048).optional().meta({
    description:
      "The API identifier put in access tokens' `aud` and required by the `/v1` resource server.",
    defaultText: '`<server.publicUrl>/v1`',
  }),
  requireDpop: z.boolean().default(true).meta({
    description:
      'Require DPoP (RFC 9449) at the token endpoint for every configured client: tokens are then bound to the app’s device key (`cnf.jkt`) and useless elsewhere. Turn off only for a client that cannot keep a key.',
  }),
});

/** The section once `enabled` is decided (config/auth-defaults.ts). */
export type IdentityConfig = z.output<typeof identitySchema> & { readonly enabled: boolean };

/** Says why the provider is on when the config did not ask for it. */
const IMPLICIT_NOTE = ' (on by default when auth.mode is required and auth.issuers is empty)';

/**
 * Cross-field rules for the section. The issuer is `server.publicUrl`; when it is not set it is
 * derived from the bind, which is only trustworthy on a loopback address and a fixed port.
 */
export function identityProblems(config: {
  readonly identity: IdentityConfig;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl?: string | undefined;
  };
}): ConfigProblem[] {
  const { identity, server } = config;
  if (!identity.enabled) return [];
  if (server.publicUrl !== undefined) {
    const url = new URL(server.publicUrl);
    return url.pathname === '/' && url.search === ''
      ? []
      : [
          {
            key: 'server.publicUrl',
            message: `the embedded provider's issuer must be an origin (scheme, host, port) without a path or query, as its endpoints live at /oauth and /.well-known. Fix: serve the gateway at the root of its host (${url.origin})`,
          },
        ];
  }
  if (!isLoopbackBind(server.host)) {
    return [
      {
        key: 'identity.enabled',
        message: `the embedded provider${IMPLICIT_NOTE} needs its issuer URL, and a non-loopback bind (${server.host}) does not say which URL clients use. Fix: set server.publicUrl to the https:// URL apps reach the gateway at, or list your own issuer under auth.issuers`,
      },
    ];
  }
  if (server.port === 0) {
    return [
      {
        key: 'identity.enabled',
        message: `the embedded provider${IMPLICIT_NOTE} needs its issuer URL, and with server.port 0 it is not known before start. Fix: set server.port, or set server.publicUrl, or (local development only) set auth.mode: none`,
      },
    ];
  }
  return [];
}
