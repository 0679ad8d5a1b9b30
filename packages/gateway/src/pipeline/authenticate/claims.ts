import type { JWTPayload } from 'jose';
import type { Principal } from '../exchange.js';

/** Bounds on what a token's claims may put on the exchange. */
const MAX_ROLES = 64;
const MAX_CLAIM_CHARS = 256;

export interface ClaimMapping {
  readonly roles: string;
  readonly tenant?: string | undefined;
}

/**
 * The claim at `path`: a top-level claim of that exact name first (Auth0 names custom claims
 * with URLs, which contain dots), otherwise a dotted path through nested objects
 * (`realm_access.roles`). Own properties only.
 */
export function claimAt(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let node: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Strings of an array claim, or the words of a space-separated string; anything else is none. */
function stringList(value: unknown): string[] {
  const items = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : [];
  return items
    .filter((item): item is string => typeof item === 'string')
    .filter((item) => item.length > 0 && item.length <= MAX_CLAIM_CHARS)
    .slice(0, MAX_ROLES);
}

function shortString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_CHARS
    ? value
    : undefined;
}

/** The verified caller, from a verified payload whose `sub` is a non-empty string. */
export function principalOf(
  payload: JWTPayload & { sub: string; iss: string },
  mapping: ClaimMapping,
): Principal {
  const cnf = payload['cnf'];
  const jkt =
    typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf)
      ? (cnf as Record<string, unknown>)['jkt']
      : undefined;
  return {
    subject: payload.sub,
    issuer: payload.iss,
    tenant:
      mapping.tenant === undefined ? undefined : shortString(claimAt(payload, mapping.tenant)),
    roles: stringList(claimAt(payload, mapping.roles)),
    acr: shortString(payload['acr']),
    amr: stringList(payload['amr']),
    deviceJkt: shortString(jkt),
    tokenId: shortString(payload.jti),
    sessionId: shortString(payload['sid']),
    issuedAt:
      typeof payload.iat === 'number' && Number.isFinite(payload.iat) ? payload.iat : undefined,
    credential: 'access_token',
    clientId: shortString(payload['client_id']),
  };
}
