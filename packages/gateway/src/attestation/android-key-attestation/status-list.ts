import { indeterminate, invalid, valid, type Verdict } from '@rampart/core';
import { z } from 'zod';

/**
 * Google's attestation certificate status list, the JSON document served at
 * https://android.googleapis.com/attestation/status and described on
 * https://developer.android.com/privacy-and-security/security-key-attestation#certificate_status:
 * `{ "entries": { "<serial, lowercase hex>": { "status": "REVOKED" | "SUSPENDED", ... } } }`.
 * Certificates not listed are in good standing.
 */
export type CertificateStatus = 'REVOKED' | 'SUSPENDED';

export interface StatusList {
  /** Serial (lowercase hex, no leading zeros) → status; only listed certificates. */
  readonly entries: ReadonlyMap<string, CertificateStatus>;
}

/** Bounds applied before and while parsing a status list. */
export interface StatusListLimits {
  /** Largest document accepted, in bytes. */
  readonly maxBytes: number;
  /** Most entries accepted. */
  readonly maxEntries: number;
}

/** Google's list is a few hundred KiB with some thousands of entries; these leave ample room. */
export const DEFAULT_STATUS_LIST_LIMITS: StatusListLimits = {
  maxBytes: 8 * 1024 * 1024,
  maxEntries: 500_000,
};

// Unknown fields are ignored (zod strips them), so additions to Google's format do not break us;
// a status outside the two documented values makes the whole list unusable (fail closed).
const entrySchema = z.object({
  status: z.enum(['REVOKED', 'SUSPENDED']),
  reason: z.string().max(64).optional(),
  expires: z.string().max(64).optional(),
  comment: z.string().max(1024).optional(),
});
const documentSchema = z.object({ entries: z.record(z.string().max(128), z.unknown()) });
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const SERIAL = /^[0-9a-f]{1,64}$/;

/** Serial key as the list writes it, normalized: lowercase, leading zeros dropped. */
function normalizeSerial(key: string): string | undefined {
  const lower = key.toLowerCase();
  if (!SERIAL.test(lower)) return undefined;
  const stripped = lower.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}

export type StatusListProblem = 'status_list_malformed' | 'too_large';

/**
 * Parses a status list document (UTF-8 JSON bytes or text), bounded by `limits`.
 *
 * @returns the list, or invalid('too_large' | 'status_list_malformed', detail); never throws.
 */
export function parseStatusList(
  document: Uint8Array | string,
  limits: StatusListLimits = DEFAULT_STATUS_LIST_LIMITS,
): Verdict<StatusList, StatusListProblem> {
  const size = typeof document === 'string' ? Buffer.byteLength(document) : document.length;
  if (size > limits.maxBytes)
    return invalid('too_large', `status list over ${limits.maxBytes} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(
      typeof document === 'string'
        ? document
        : new TextDecoder('utf-8', { fatal: true }).decode(document),
    );
  } catch {
    return invalid('status_list_malformed', 'not UTF-8 JSON');
  }
  if (
    !documentSchema.safeParse(json).success ||
    !isPlainObject(json) ||
    !isPlainObject(json.entries)
  ) {
    return invalid('status_list_malformed', 'no "entries" object');
  }
  // Keys are read from the parsed JSON itself, not from zod's copy, which silently drops a
  // "__proto__" key: every key the document lists must be accounted for.
  const rawEntries = json.entries;
  const keys = Object.keys(rawEntries);
  if (keys.length > limits.maxEntries)
    return invalid('too_large', `more than ${limits.maxEntries} entries`);
  const entries = new Map<string, CertificateStatus>();
  for (const key of keys) {
    const serial = normalizeSerial(key);
    const entry = entrySchema.safeParse(Object.getOwnPropertyDescriptor(rawEntries, key)?.value);
    if (serial === undefined || !entry.success)
      return invalid('status_list_malformed', 'an entry is malformed');
    // A serial listed twice after normalization keeps its strongest status.
    if (entries.get(serial) !== 'REVOKED') entries.set(serial, entry.data.status);
  }
  return valid({ entries });
}

/** Where the verifier gets the status list it checks serials against. */
export interface StatusListProvider {
  /**
   * The list to use at `now` (ms since the epoch), or indeterminate('status_list_unavailable')
   * when none young enough is at hand.
   */
  current(now: number): Verdict<StatusList, 'status_list_unavailable'>;
}

/** A provider that always answers with `list`: for tests and for lists managed out of band. */
export const fixedStatusList = (list: StatusList): StatusListProvider => ({
  current: () => valid(list),
});

/** A provider that never has a list: every verification that gets this far is indeterminate. */
export const noStatusList: StatusListProvider = {
  current: () => indeterminate('status_list_unavailable', 'no status list configured'),
};
