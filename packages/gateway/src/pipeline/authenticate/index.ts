import type { Stage } from '../stage.js';
import { createAuthenticator, type AuthenticateDeps, type Authenticator } from './authenticator.js';

export {
  authenticationConfigured,
  createAuthenticator,
  type AuthenticateDeps,
  type Authenticator,
  type CredentialRequest,
  type ResponseHeaders,
} from './authenticator.js';
export { createNonceIssuer, type NonceIssuer } from './nonce.js';
export { RedisReplayCache } from './redis-replay.js';
export { MemoryReplayCache, type ReplayCache } from './replay.js';
export { type ServiceKeyLookup } from './service-key.js';

/**
 * Stage authenticate (DESIGN.md, request path 2): before the body is read, the caller is
 * verified by the resource server (`authenticator.ts`) and goes on `exchange.principal`. With
 * no issuer configured (`auth.issuers` empty) and service keys off (`auth.serviceKeys.enabled`)
 * the stage has no phase and `/v1` is anonymous.
 */
export function authenticateStage(
  deps: AuthenticateDeps & { readonly authenticator?: Authenticator | undefined },
): Stage {
  // The gateway passes the one authenticator it shares with the admin API; tests build theirs.
  const authenticator = deps.authenticator ?? createAuthenticator(deps);
  if (authenticator === undefined) return { name: 'authenticate' };
  return {
    name: 'authenticate',
    async headers(exchange, request) {
      exchange.principal = await authenticator.authenticate(request, {
        header: (_name, value) => {
          exchange.dpopNonce = value;
        },
      });
    },
  };
}
