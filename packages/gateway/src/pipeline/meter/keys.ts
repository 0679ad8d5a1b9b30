import { createHash } from 'node:crypto';
import type { MeterKeyPart, MeterLimitConfig } from '../../config/meter-schema.js';
import type { Exchange } from '../exchange.js';

/** What a request has for a key part it lacks (no device for a service key): counted, never skipped. */
export const MISSING = '-';

/** What the meter stage reads from a request besides the exchange: the client address. */
export interface MeteredRequest {
  /** The client IP as Fastify resolved it (`server.trustedProxies` applied). */
  readonly ip: string;
}

type PartValue = string | readonly [string, string];

function partOf(part: MeterKeyPart, exchange: Exchange, request: MeteredRequest): PartValue {
  const principal = exchange.principal;
  switch (part) {
    case 'subject':
      // `sub` is unique only within its issuer: two issuers' "42" are two people.
      return principal === undefined ? MISSING : [principal.issuer, principal.subject];
    case 'device':
      return principal?.deviceJkt ?? MISSING;
    case 'tenant':
      return principal?.tenant ?? MISSING;
    case 'app':
      return principal?.clientId ?? MISSING;
    case 'ip':
      return request.ip === '' ? MISSING : request.ip;
    case 'alias':
      return exchange.route?.alias ?? MISSING;
  }
}

/**
 * The counter key of a request under a limit keyed on `parts`: a digest (SHA-256, 128 bits,
 * base64url) of the parts' values. A digest because the values are the caller's (a subject,
 * a client id: personal data and of any length) and become Redis keys: this way every key has
 * the same short length and says nothing about whom it counts. The values are JSON-encoded
 * together first, so no choice of values can make two different combinations meet.
 */
export function counterKey(
  parts: readonly MeterKeyPart[],
  exchange: Exchange,
  request: MeteredRequest,
): string {
  const values = parts.map((part) => partOf(part, exchange, request));
  return createHash('sha256').update(JSON.stringify(values)).digest('base64url').slice(0, 22);
}

/** Whether a limit (or a cap) applies to this request: its role, attestation and alias filters. */
export function limitApplies(
  limit: Pick<MeterLimitConfig, 'roles' | 'attestation' | 'aliases'>,
  exchange: Exchange,
): boolean {
  if (limit.roles !== undefined) {
    const roles = exchange.principal?.roles ?? [];
    if (!limit.roles.some((role) => roles.includes(role))) return false;
  }
  if (limit.attestation !== 'any') {
    // Anything short of a positive finding (unattested, unavailable, not asked) is unattested.
    const attested = exchange.integrity?.status === 'attested';
    if (attested !== (limit.attestation === 'attested')) return false;
  }
  if (limit.aliases !== undefined) {
    const alias = exchange.route?.alias;
    if (alias === undefined || !limit.aliases.includes(alias)) return false;
  }
  return true;
}
