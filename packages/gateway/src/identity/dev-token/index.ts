import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { DEMO_ROLE } from '../../config/auth-defaults.js';
import type { Config } from '../../config/index.js';
import { gatewayError } from '../../errors.js';
import type { Keyring } from '../../keys/index.js';
import type { TrustedIssuer } from '../../pipeline/authenticate/verify.js';
import { identityAudience } from '../provider/constants.js';
import { oidcSigningKeys } from '../provider/local-issuer.js';

/**
 * Development tokens for the demo (no provider configured): what `rampart token --dev` prints
 * and the start-up banner's curl example uses, so the tour works with authentication on.
 *
 * A development token is an RFC 9068 access token (ES256, `oidc-signing`) for the subject
 * `demo` with the role `demo`, valid 5 minutes and NOT bound to a DPoP key. Its issuer is
 * `<server.publicUrl>/dev`, which the resource server trusts only in demo mode: once a provider
 * is configured the issuer is unknown and such a token is refused (401 `auth.issuer_unknown`),
 * and `rampart token --dev` refuses to mint one.
 */
export const DEV_TOKEN_TTL_SECONDS = 300;
export const DEV_SUBJECT = 'demo';

/** Clock tolerance: the same machine signs and verifies. */
const DEV_CLOCK_SKEW_SECONDS = 5;

/** Whether development tokens are minted and accepted: demo mode with authentication on. */
export function devTokensAccepted(config: Pick<Config, 'demo' | 'auth'>): boolean {
  return config.demo && config.auth.mode === 'required';
}

export function devIssuer(config: Pick<Config, 'server'>): string {
  return `${config.server.publicUrl}/dev`;
}

/**
 * Mints a development token. Throws `auth.dev_token_refused` outside demo mode (a provider is
 * configured, or `auth.mode` is `none` and no token is needed).
 */
export async function mintDevToken(
  config: Config,
  keyring: Keyring,
  nowMs: number = Date.now(),
): Promise<string> {
  if (!devTokensAccepted(config)) {
    throw gatewayError(
      'auth.dev_token_refused',
      config.demo
        ? 'auth.mode is none: /v1 takes no token.'
        : 'Development tokens exist only in demo mode (no provider configured). Apps get tokens through OAuth 2.0 (docs/identity.md); servers use service keys.',
    );
  }
  const key = keyring.current('oidc-signing');
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ roles: [DEMO_ROLE], client_id: 'rampart-dev' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    .setIssuer(devIssuer(config))
    .setAudience(identityAudience(config))
    .setSubject(DEV_SUBJECT)
    .setIssuedAt(iat)
    .setExpirationTime(iat + DEV_TOKEN_TTL_SECONDS)
    .setJti(randomUUID())
    .sign(key.key);
}

/** The development issuer as the resource server trusts it; undefined outside demo mode. */
export function devIssuerTrust(config: Config, keyring: Keyring): TrustedIssuer | undefined {
  if (!devTokensAccepted(config)) return undefined;
  return {
    config: {
      issuer: devIssuer(config),
      audiences: [identityAudience(config)],
      algorithms: ['ES256'],
      clockSkewSeconds: DEV_CLOCK_SKEW_SECONDS,
      claims: { roles: 'roles' },
    },
    key: oidcSigningKeys(keyring),
  };
}
