import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../../config/index.js';
import type { Keyring } from '../../keys/index.js';
import { identityAudience } from './constants.js';

/** Clock tolerance for the gateway's own tokens: the same clock signs and verifies. */
const LOCAL_CLOCK_SKEW_SECONDS = 5;

/**
 * The embedded provider as a trusted issuer of the `/v1` resource server: its tokens are
 * verified with the keyring's `oidc-signing` public keys directly (current and retired in
 * overlap), never through an HTTP JWKS fetch, pinned to ES256 and the identity audience, and
 * their `roles` and `tenant` claims map onto the principal.
 */
export interface LocalIssuerTrust {
  readonly config: {
    readonly issuer: string;
    readonly jwksUri: string;
    readonly audiences: string[];
    readonly algorithms: ['ES256'];
    readonly clockSkewSeconds: number;
    readonly claims: { readonly roles: string; readonly tenant: string };
  };
  readonly key: JWTVerifyGetKey;
}

/** The keyring's `oidc-signing` public keys (current and in overlap) as a jose key resolver. */
export function oidcSigningKeys(keyring: Keyring): JWTVerifyGetKey {
  // Rebuilt only when the set of verifying keys changes (a rotation, an overlap ending).
  let kids = '';
  let keySet: JWTVerifyGetKey | undefined;
  return (header, token) => {
    const jwks = keyring.jwks('oidc-signing');
    const current = jwks.keys.map((jwk) => String(jwk.kid)).join(' ');
    if (keySet === undefined || current !== kids) {
      keySet = createLocalJWKSet(jwks);
      kids = current;
    }
    return keySet(header, token);
  };
}

export function localIssuerTrust(config: Config, keyring: Keyring): LocalIssuerTrust {
  const key = oidcSigningKeys(keyring);
  return {
    config: {
      issuer: config.server.publicUrl,
      jwksUri: `${config.server.publicUrl}/oauth/jwks`,
      audiences: [identityAudience(config)],
      algorithms: ['ES256'],
      clockSkewSeconds: LOCAL_CLOCK_SKEW_SECONDS,
      claims: { roles: 'roles', tenant: 'tenant' },
    },
    key,
  };
}
