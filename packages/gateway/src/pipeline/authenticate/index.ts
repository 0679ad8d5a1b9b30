import type { Stage } from '../stage.js';
import { createAuthenticator, type AuthenticateDeps } from './authenticator.js';

export {
  authenticationConfigured,
  createAuthenticator,
  type AuthenticateDeps,
  type Authenticator,
  type CredentialRequest,
} from './authenticator.js';
export { MemoryReplayCache, type ReplayCache } from './replay.js';
export { type ServiceKeyLookup } from './service-key.js';

/**
 * Stage authenticate (DESIGN.md, request path 2): before the body is read, the caller is
 * verified by the resource server (`authenticator.ts`) and goes on `exchange.principal`. With
 * no issuer configured (`auth.issuers` empty) and service keys off (`auth.serviceKeys.enabled`)
 * the stage has no phase and `/v1` is anonymous.
 */
export function authenticateStage(deps: AuthenticateDeps): Stage {
  const authenticator = createAuthenticator(deps);
  if (authenticator === undefined) return { name: 'authenticate' };
  return {
    name: 'authenticate',
    async headers(exchange, request) {
      exchange.principal = await authenticator.authenticate(request);
    },
  };
}
