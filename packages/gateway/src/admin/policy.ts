import type { Config } from '../config/index.js';
import { hasMultiFactor } from '../pipeline/authorize/mfa.js';
import type { Principal } from '../pipeline/exchange.js';

/** Whether a verified principal may use the admin API at all (roles; authorization may replace it). */
export type IsAdmin = (principal: Principal) => boolean;

/** Whether the principal signed in with more than one factor. */
export type HasMfa = (principal: Principal) => boolean;

/** The default: the principal holds `admin.role`. */
export function roleIsAdmin(config: Pick<Config, 'admin'>): IsAdmin {
  const role = config.admin.role;
  return (principal) => principal.roles.includes(role);
}

/**
 * MFA per `admin.requireMfa`, by the same rule as `/v1` permissions with `mfa: true`
 * (`hasMultiFactor`, with `authz.mfa.acrValues`).
 */
export function mfaPolicy(config: Pick<Config, 'admin' | 'authz'>): HasMfa {
  if (!config.admin.requireMfa) return () => true;
  const acrValues = new Set(config.authz.mfa.acrValues);
  return (principal) => hasMultiFactor(principal, acrValues);
}
