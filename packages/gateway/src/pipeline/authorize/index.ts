import type { RampartError } from '@rampart/core';
import type { Config } from '../../config/index.js';
import { gatewayError } from '../../errors.js';
import type { JsonObject } from '../../providers/types.js';
import { authenticationConfigured } from '../authenticate/authenticator.js';
import { REALM, withChallenge } from '../authenticate/challenge.js';
import type { Exchange, Principal } from '../exchange.js';
import type { Stage } from '../stage.js';
import { requestedFeatures } from './features.js';
import { compilePolicy, type AccessRequest, type DenialCode, type Policy } from './policy.js';

export { compilePolicy, type AccessRequest, type Decision, type Policy } from './policy.js';
export { requestedFeatures } from './features.js';

export interface AuthorizeDeps {
  readonly config: Pick<Config, 'auth' | 'authz' | 'identity'>;
}

/**
 * Stage authorize (DESIGN.md, request path 4): may this principal use this endpoint, model alias
 * and these features, at this authentication strength? Deny by default (`authz.roles`).
 *
 * Active exactly when `/v1` is authenticated (`auth.issuers` or `auth.serviceKeys.enabled`).
 * An anonymous `/v1` has no principal and this stage never invents one: it then has no phase,
 * as the authenticate stage has none. Active but without a principal is a wiring fault, and
 * refused (fail closed).
 *
 * It is listed before parse, not after, so that nothing parse answers depends on an alias the
 * caller may not use: parse refuses an unknown alias (404 `model.unknown_alias`), an alias of
 * the other kind (400 `model.wrong_kind`) and vendor extensions by the alias's provider, each of
 * which would tell a caller without rights which aliases exist. The alias is therefore judged by
 * the name the client sent, the same answer whether it exists or not, and only a caller granted
 * it (or `*`) ever meets parse's answers. The endpoint is judged in `headers`, before any body
 * is read; alias, features and MFA in `body`; `GET /v1/models` keeps only the caller's aliases.
 */
export function authorizeStage(deps: AuthorizeDeps): Stage {
  if (!authenticationConfigured(deps.config)) return { name: 'authorize' };
  const policy = compilePolicy(deps.config.authz);
  return {
    name: 'authorize',

    headers(exchange) {
      const { endpoint } = exchange;
      const principal = principalOf(exchange);
      if (endpoint === 'models') {
        enforce(policy, principal, { endpoint, alias: undefined, features: [] });
      } else if (endpoint !== 'method_not_allowed' && !policy.grantsEndpoint(principal, endpoint)) {
        throw refusal(policy, principal, 'authz.endpoint_forbidden', []);
      }
    },

    body(exchange, request) {
      const { endpoint } = exchange;
      if (endpoint !== 'chat' && endpoint !== 'embeddings') return;
      const body: unknown = request.body;
      enforce(policy, principalOf(exchange), {
        endpoint,
        alias: requestedAlias(body),
        features: endpoint === 'chat' ? requestedFeatures(body) : [],
      });
    },

    response(exchange, body) {
      if (exchange.endpoint !== 'models') return;
      const principal = principalOf(exchange);
      const data = body['data'];
      if (!Array.isArray(data)) return;
      body['data'] = data.filter((entry) => mayUse(policy, principal, entry));
    },
  };
}

function principalOf(exchange: Exchange): Principal {
  const { principal } = exchange;
  if (principal === undefined) {
    // authenticate runs first whenever this stage is active; without it, refuse, never allow.
    throw gatewayError('internal.error', 'The request reached authorization unauthenticated.');
  }
  return principal;
}

/**
 * The alias the client named. A missing or non-string `model` is judged as the empty name,
 * which no permission names: only a `*` grant lets it through, to parse's own refusal.
 */
function requestedAlias(body: unknown): string {
  if (typeof body !== 'object' || body === null || !('model' in body)) return '';
  return typeof body.model === 'string' ? body.model : '';
}

/** An entry of the `/v1/models` list the principal may use with a plain request now. */
function mayUse(policy: Policy, principal: Principal, entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const { id, kind } = entry as JsonObject;
  if (typeof id !== 'string' || (kind !== 'chat' && kind !== 'embeddings')) return false;
  return policy.decide(principal, { endpoint: kind, alias: id, features: [] }).allowed;
}

function enforce(policy: Policy, principal: Principal, request: AccessRequest): void {
  const decision = policy.decide(principal, request);
  if (!decision.allowed) throw refusal(policy, principal, decision.code, request.features);
}

const DETAIL: Record<DenialCode, string> = {
  'authz.endpoint_forbidden': 'Your roles do not grant this endpoint.',
  'authz.alias_forbidden': 'Your roles do not grant this model.',
  'authz.feature_forbidden': 'Your roles do not grant this model with the features used:',
  'authz.mfa_required': 'This request requires multi-factor authentication.',
};

/**
 * The refusal: which requirement was missing, never what exists. An MFA refusal of an access
 * token carries the RFC 9470 step-up challenge, in the scheme the token was presented with.
 */
function refusal(
  policy: Policy,
  principal: Principal,
  code: DenialCode,
  features: readonly string[],
): RampartError {
  if (code === 'authz.feature_forbidden') {
    return gatewayError(code, `${DETAIL[code]} ${features.join(', ')}.`, {
      extensions: { features },
    });
  }
  if (code !== 'authz.mfa_required') return gatewayError(code, DETAIL[code]);
  if (principal.credential !== 'access_token') {
    return gatewayError(code, `${DETAIL[code]} A service key cannot satisfy it.`);
  }
  const scheme = principal.deviceJkt === undefined ? 'Bearer' : 'DPoP';
  const detail = `${DETAIL[code]} Sign in again with a second factor and retry with the new token.`;
  return withChallenge(
    gatewayError(code, detail),
    `${scheme} realm="${REALM}", error="insufficient_user_authentication", error_description="${detail}", acr_values="${policy.acrValues.join(' ')}"`,
  );
}
