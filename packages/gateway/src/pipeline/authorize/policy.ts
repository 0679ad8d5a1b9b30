import type { AuthzEndpoint, AuthzFeature } from '../../config/authz-schema.js';
import type { Config } from '../../config/index.js';
import type { Principal } from '../exchange.js';
import { hasMultiFactor } from './mfa.js';

/** What one request asks to do, as the authorize stage reads it. */
export interface AccessRequest {
  readonly endpoint: AuthzEndpoint;
  /** The alias the client named; undefined for an endpoint without one (`models`). */
  readonly alias: string | undefined;
  readonly features: readonly AuthzFeature[];
}

export type DenialCode =
  | 'authz.endpoint_forbidden'
  | 'authz.alias_forbidden'
  | 'authz.feature_forbidden'
  | 'authz.mfa_required';

export type Decision = { readonly allowed: true } | { readonly allowed: false; code: DenialCode };

export interface Policy {
  /** Allowed, or the first requirement missing, checked in the order endpoint, alias, features, MFA. */
  decide(principal: Principal, request: AccessRequest): Decision;
  /** True when some role of the principal grants the endpoint at all (checked before the body). */
  grantsEndpoint(principal: Principal, endpoint: AuthzEndpoint): boolean;
  /** The `acr` values that satisfy `mfa: true`, for the step-up challenge. */
  readonly acrValues: readonly string[];
}

interface Permission {
  readonly endpoints: ReadonlySet<AuthzEndpoint>;
  /** undefined: every alias (`*`). */
  readonly aliases: ReadonlySet<string> | undefined;
  readonly features: ReadonlySet<AuthzFeature>;
  readonly mfa: boolean;
}

/**
 * The role table compiled once from `authz`: deny by default, the permissions of the
 * principal's configured roles are the only grants. A service key's alias list narrows what
 * its roles grant (an intersection), it never widens it.
 */
export function compilePolicy(authz: Config['authz']): Policy {
  // A Map, not an object: a role named "__proto__" or "constructor" in a token grants nothing.
  const roles = new Map<string, readonly Permission[]>();
  for (const [role, permissions] of Object.entries(authz.roles)) {
    roles.set(
      role,
      permissions.map((p) => ({
        endpoints: new Set(p.endpoints),
        aliases: p.aliases.includes('*') ? undefined : new Set(p.aliases),
        features: new Set(p.features),
        mfa: p.mfa,
      })),
    );
  }
  const acrValues = new Set(authz.mfa.acrValues);

  const grants = (principal: Principal, endpoint: AuthzEndpoint): Permission[] => {
    const found: Permission[] = [];
    for (const role of principal.roles) {
      for (const permission of roles.get(role) ?? []) {
        if (permission.endpoints.has(endpoint)) found.push(permission);
      }
    }
    return found;
  };

  const hasMfa = (principal: Principal): boolean => hasMultiFactor(principal, acrValues);

  return {
    acrValues: [...acrValues],
    grantsEndpoint: (principal, endpoint) => grants(principal, endpoint).length > 0,
    decide(principal, request) {
      let candidates = grants(principal, request.endpoint);
      if (candidates.length === 0) return { allowed: false, code: 'authz.endpoint_forbidden' };
      const { alias } = request;
      if (alias !== undefined) {
        if (principal.aliases !== undefined && !principal.aliases.includes(alias)) {
          return { allowed: false, code: 'authz.alias_forbidden' };
        }
        candidates = candidates.filter((p) => p.aliases === undefined || p.aliases.has(alias));
        if (candidates.length === 0) return { allowed: false, code: 'authz.alias_forbidden' };
      }
      candidates = candidates.filter((p) => request.features.every((f) => p.features.has(f)));
      if (candidates.length === 0) return { allowed: false, code: 'authz.feature_forbidden' };
      if (candidates.some((p) => !p.mfa) || hasMfa(principal)) return { allowed: true };
      return { allowed: false, code: 'authz.mfa_required' };
    },
  };
}
