/**
 * The embedded OAuth 2.0 / OpenID Connect provider for first-party native apps (docs/identity.md):
 * `installIdentity` mounts it, `revokeGrant` ends a login (the `sid` of its tokens).
 */
import type { IdentityDeps } from './install.js';

export { installIdentity, type IdentityDeps } from './install.js';
export { revokeGrant } from './revoke.js';
export { providerRevocationHooks } from './revocation-hooks.js';
export { localIssuerTrust } from './local-issuer.js';
export { KyselyAdapter, sweepExpiredPayloads } from './adapter.js';
export { ACR, acrFor, combineAmr } from './acr.js';
export { API_SCOPE, identityAudience } from './constants.js';
export type { LocalIssuerTrust } from './local-issuer.js';

/** What the app composition hands the provider besides the configuration and the logger. */
export type IdentityWiring = Pick<IdentityDeps, 'db' | 'keyring' | 'accounts' | 'now'>;
