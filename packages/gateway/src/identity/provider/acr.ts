/**
 * Authentication context classes of the embedded provider (the `acr` claim), from the
 * authentication methods a login used (`amr`, RFC 8176). A route that demands MFA asks for
 * `mfa` or `phr`; one that demands phishing resistance asks for `phr`.
 */
export const ACR = {
  /** A password alone. */
  password: 'urn:rampart:acr:pwd',
  /** A password and a second factor (TOTP or a recovery code). */
  mfa: 'urn:rampart:acr:mfa',
  /** A passkey with user verification: phishing-resistant, and multi-factor by itself. */
  phishingResistant: 'urn:rampart:acr:phr',
} as const;

/** Authentication factors that are not the password, as RFC 8176 names them. */
const SECOND_FACTORS = new Set(['otp', 'hwk', 'swk', 'sms', 'fpt', 'face', 'user']);

/**
 * The union of two steps' `amr` values, with `mfa` added when the password was joined by
 * another factor (RFC 8176: "multiple-factor authentication").
 */
export function combineAmr(first: readonly string[], second: readonly string[]): string[] {
  const all = new Set([...first, ...second]);
  if (all.has('pwd') && [...all].some((method) => SECOND_FACTORS.has(method))) all.add('mfa');
  return [...all].sort();
}

/** The `acr` a login earned, from its combined `amr`. */
export function acrFor(amr: readonly string[]): string {
  const methods = new Set(amr);
  if (methods.has('hwk') && methods.has('user')) return ACR.phishingResistant;
  if (methods.has('mfa') || (methods.has('pwd') && methods.has('otp'))) return ACR.mfa;
  return ACR.password;
}
