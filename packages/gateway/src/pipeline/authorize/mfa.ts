import type { Principal } from '../exchange.js';

/**
 * RFC 8176 authentication methods by kind of factor: two methods of different kinds are
 * multi-factor (a password and an OTP), two of the same kind are not (a password and a PIN).
 */
const FACTOR_KIND: Readonly<Record<string, 'know' | 'have' | 'are'>> = {
  pwd: 'know',
  pin: 'know',
  kba: 'know',
  otp: 'have',
  hwk: 'have',
  swk: 'have',
  sms: 'have',
  tel: 'have',
  sc: 'have',
  fpt: 'are',
  face: 'are',
  iris: 'are',
  retina: 'are',
  vbm: 'are',
  user: 'are',
};

/**
 * Whether the caller signed in with more than one factor: its `acr` is one of `acrValues`
 * (`authz.mfa.acrValues`), or its `amr` names `mfa` or two factors of different kinds. A
 * service key never counts. The one MFA rule for `/v1` permissions and the admin API.
 */
export function hasMultiFactor(principal: Principal, acrValues: ReadonlySet<string>): boolean {
  if (principal.credential !== 'access_token') return false;
  if (principal.acr !== undefined && acrValues.has(principal.acr)) return true;
  if (principal.amr.includes('mfa')) return true;
  const kinds = new Set(principal.amr.map((method) => FACTOR_KIND[method]));
  kinds.delete(undefined);
  return kinds.size >= 2;
}
