import { timingSafeEqual } from 'node:crypto';
import type { AppAttestReason } from './reasons.js';

/**
 * The client data a Rampart app signs with each App Attest assertion: the UTF-8 JSON object
 *
 *     {"challenge":"<challenge as issued>","htm":"POST",
 *      "htu":"https://gateway.example/v1/chat/completions","bodySha256":"<base64url>"}
 *
 * with exactly these four string members, in any order, at most 2 KiB:
 * - `challenge` — the single-use challenge the gateway issued to this subject, verbatim;
 * - `htm`, `htu` — the request's method and URL without query or fragment, as in DPoP
 *   (RFC 9449 §4.2), so an assertion made for one route cannot be replayed on another;
 * - `bodySha256` — base64url (no padding) SHA-256 of the exact request body bytes.
 * The app passes these bytes to `generateAssertion` (which hashes them) and sends them too,
 * base64url-encoded, so the gateway can compare each member with the request it received.
 */
export interface RampartClientData {
  readonly challenge: string;
  readonly htm: string;
  readonly htu: string;
  readonly bodySha256: string;
}

/**
 * How the assertion's client data is bound to the request:
 * - `rampart`: the JSON above, compared member by member with `expected`;
 * - `raw`: opaque bytes that must begin with `challenge` (clients that append their own request
 *   data to the challenge, as the devicecheck-appattest sample does); the caller vouches for
 *   the rest of the binding.
 */
export type AssertionClientData =
  | { readonly kind: 'rampart'; readonly bytes: Uint8Array; readonly expected: RampartClientData }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array; readonly challenge: Uint8Array };

export const MAX_CLIENT_DATA_BYTES = 2048;
const MEMBERS = ['challenge', 'htm', 'htu', 'bodySha256'] as const;

export type ClientDataCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: AppAttestReason; readonly detail?: string };

/** Checks the binding; never throws. */
export function checkClientData(clientData: AssertionClientData): ClientDataCheck {
  if (clientData.bytes.length > MAX_CLIENT_DATA_BYTES) {
    return { ok: false, reason: 'too_large', detail: 'client data' };
  }
  if (clientData.kind === 'raw') {
    const { bytes, challenge } = clientData;
    const carries =
      challenge.length > 0 &&
      bytes.length >= challenge.length &&
      timingSafeEqual(bytes.subarray(0, challenge.length), challenge);
    return carries ? { ok: true } : { ok: false, reason: 'challenge_mismatch' };
  }
  const parsed = parseRampartClientData(clientData.bytes);
  if (parsed === undefined) return { ok: false, reason: 'client_data_malformed' };
  if (!equalText(parsed.challenge, clientData.expected.challenge)) {
    return { ok: false, reason: 'challenge_mismatch' };
  }
  for (const member of ['htm', 'htu', 'bodySha256'] as const) {
    if (!equalText(parsed[member], clientData.expected[member])) {
      return { ok: false, reason: 'binding_mismatch', detail: member };
    }
  }
  return { ok: true };
}

/** The JSON object with exactly the four string members, or undefined. */
export function parseRampartClientData(bytes: Uint8Array): RampartClientData | undefined {
  if (bytes.length > MAX_CLIENT_DATA_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== MEMBERS.length || !MEMBERS.every((m) => typeof record[m] === 'string')) {
    return undefined;
  }
  return record as unknown as RampartClientData;
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
