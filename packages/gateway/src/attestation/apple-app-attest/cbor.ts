import { Decoder } from 'cbor-x';

/**
 * Bounded CBOR decoding (RFC 8949) for App Attest objects, in two steps:
 *
 * 1. a gate walks every item head without recursion and without allocating, and refuses what
 *    the App Attest shapes never contain: tags, floats and simple values, indefinite lengths,
 *    nesting deeper than `maxDepth`, more than `maxItems` items, a length or count larger than
 *    the bytes left, trailing bytes. This matters because cbor-x pre-allocates arrays from the
 *    declared count and its limits are process-wide settings;
 * 2. cbor-x decodes what passed, maps as `Map` (never plain objects, so a `__proto__` key is
 *    just a key), and a map that lost entries to a duplicate key is refused.
 */
export interface CborLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxItems: number;
}

export type CborDecoded =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly reason: 'too_large' | 'cbor_malformed';
      readonly detail: string;
    };

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

/** Decodes one CBOR item that must fill `bytes` exactly. Never throws. */
export function decodeBoundedCbor(bytes: Uint8Array, limits: CborLimits): CborDecoded {
  if (bytes.length > limits.maxBytes) {
    return { ok: false, reason: 'too_large', detail: `over ${limits.maxBytes} bytes` };
  }
  const gate = scan(bytes, limits);
  if (typeof gate === 'string') return { ok: false, reason: 'cbor_malformed', detail: gate };
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch {
    return { ok: false, reason: 'cbor_malformed', detail: 'undecodable' };
  }
  if (countMapEntries(value, limits.maxDepth) !== gate) {
    return { ok: false, reason: 'cbor_malformed', detail: 'duplicate map key' };
  }
  return { ok: true, value };
}

/**
 * The gate: returns the number of map entries declared (to detect duplicates after decoding),
 * or why the bytes are refused.
 */
function scan(bytes: Uint8Array, limits: CborLimits): number | string {
  const length = bytes.length;
  // Items still expected in each open container; the bottom entry is the single top-level item.
  const pending: number[] = [1];
  let offset = 0;
  let items = 0;
  let mapEntries = 0;
  while (pending.length > 0) {
    const top = pending.length - 1;
    const left = pending[top] ?? 0;
    if (left === 0) {
      pending.pop();
      continue;
    }
    pending[top] = left - 1;
    items += 1;
    if (items > limits.maxItems) return `more than ${limits.maxItems} items`;
    if (offset >= length) return 'truncated';
    const initial = bytes[offset] ?? 0;
    offset += 1;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let argument: number;
    if (info < 24) argument = info;
    else if (info <= 27) {
      const size = 1 << (info - 24);
      if (offset + size > length) return 'truncated';
      argument = 0;
      for (let i = 0; i < size; i += 1) argument = argument * 256 + (bytes[offset + i] ?? 0);
      offset += size;
      if (!Number.isSafeInteger(argument)) return 'integer too large';
    } else return 'indefinite length or reserved value';
    const remaining = length - offset;
    switch (major) {
      case 0:
      case 1:
        break;
      case 2:
      case 3:
        if (argument > remaining) return 'truncated';
        offset += argument;
        break;
      case 4:
      case 5: {
        const count = major === 4 ? argument : argument * 2;
        // Every item takes at least one byte, so a count beyond the bytes left is a lie.
        if (count > remaining) return 'truncated';
        if (pending.length > limits.maxDepth) return `nested deeper than ${limits.maxDepth}`;
        if (major === 5) mapEntries += argument;
        pending.push(count);
        break;
      }
      default:
        return major === 6 ? 'tags are not allowed' : 'floats and simple values are not allowed';
    }
  }
  if (offset !== length) return 'trailing bytes';
  return mapEntries;
}

/** Entries of every Map in a decoded value (depth-bounded like the gate). */
function countMapEntries(value: unknown, depth: number): number {
  if (depth < 0) return Number.NaN;
  if (value instanceof Map) {
    let total = value.size;
    for (const [key, item] of value) {
      total += countMapEntries(key, depth - 1) + countMapEntries(item, depth - 1);
    }
    return total;
  }
  if (Array.isArray(value)) {
    let total = 0;
    for (const item of value) total += countMapEntries(item, depth - 1);
    return total;
  }
  return 0;
}

/** A decoded byte string as a Uint8Array (cbor-x returns Buffers), or undefined. */
export function asBytes(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

/** The map's entries when every key is text and the keys are exactly `keys`, else undefined. */
export function exactTextMap<K extends string>(
  value: unknown,
  keys: readonly K[],
): ReadonlyMap<K, unknown> | undefined {
  if (!(value instanceof Map) || value.size !== keys.length) return undefined;
  for (const key of keys) if (!value.has(key)) return undefined;
  return value as ReadonlyMap<K, unknown>;
}
