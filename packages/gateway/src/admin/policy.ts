import type { Config } from '../config/index.js';
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

/** RFC 8176 `amr` value saying the issuer itself counted several factors. */
const MFA_AMR = 'mfa';

/**
 * MFA per `admin.requireMfa`: an `acr` among `admin.mfaAcrValues`, or an `amr` naming two
 * different methods (RFC 8176, e.g. `pwd` and `otp`, or `hwk` and `user`) or `mfa` itself.
 */
export function mfaPolicy(config: Pick<Config, 'admin'>): HasMfa {
  const { requireMfa, mfaAcrValues } = config.admin;
  if (!requireMfa) return () => true;
  const acrValues = new Set(mfaAcrValues);
  return (principal) =>
    (principal.acr !== undefined && acrValues.has(principal.acr)) ||
    principal.amr.includes(MFA_AMR) ||
    new Set(principal.amr).size >= 2;
}
