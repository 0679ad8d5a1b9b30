import { Secret, TOTP } from 'otpauth';

/**
 * TOTP (RFC 6238) with the parameters every authenticator app understands: HMAC-SHA-1, six
 * digits, 30-second steps, a 160-bit secret (RFC 4226 §4 recommends at least 128).
 */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** Codes one step early or late are accepted (clock drift between phone and server). */
const WINDOW = 1;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The Key Uri Format URI (`otpauth://totp/Issuer:user?secret=…&issuer=…`) for a QR code. */
export function totpUri(secret: string, issuer: string, username: string): string {
  return totp(secret, issuer, username).toString();
}

export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code);
}

/**
 * The time step (RFC 6238 T) the code belongs to, within ±WINDOW of `nowMs`, or undefined.
 * The caller accepts a step only if it is after the last one accepted, so a code is used once.
 */
export function totpStep(secret: string, code: string, nowMs: number): number | undefined {
  if (!isTotpCode(code)) return undefined;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp: nowMs,
    window: WINDOW,
  });
  if (delta === null) return undefined;
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp: nowMs }) + delta;
}

/** A code for `nowMs` (tests and the software authenticator in testkit use it). */
export function totpCode(secret: string, nowMs: number): string {
  return totp(secret, 'x', 'x').generate({ timestamp: nowMs });
}

function totp(secret: string, issuer: string, label: string): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}
