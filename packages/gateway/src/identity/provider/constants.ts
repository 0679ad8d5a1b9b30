import type { Config } from '../../config/index.js';

/** Where the provider's endpoints live: all under `/oauth/`, beside discovery. */
export const OAUTH_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  jwks: '/oauth/jwks',
  revocation: '/oauth/revoke',
  userinfo: '/oauth/userinfo',
  end_session: '/oauth/logout',
} as const;

/** The login pages (interactions.ts); the interaction uid follows. */
export const LOGIN_PATH = '/login';

/** The only resource-server scope: the gateway's `/v1` API. */
export const API_SCOPE = 'api';

/** The API identifier in `aud`: `identity.audience`, or `<server.publicUrl>/v1`. */
export function identityAudience(config: Config): string {
  return config.identity.audience ?? `${config.server.publicUrl}/v1`;
}
