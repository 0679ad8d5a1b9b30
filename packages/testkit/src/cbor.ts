/**
 * A tiny CBOR encoder (RFC 8949) for exactly what WebAuthn test objects need: unsigned and
 * negative integers, byte strings, text strings and maps (definite lengths only). It encodes
 * values the tests build, never parses input, and refuses anything else.
 */
export type CborValue = number | string | Uint8Array | CborMap;
export type CborMap = ReadonlyMap<number | string, CborValue>;

const MAX_DEPTH = 8;

export function encodeCbor(value: CborValue): Uint8Array {
  const parts: Uint8Array[] = [];
  write(value, parts, 0);
  return Buffer.concat(parts);
}

function write(value: CborValue, out: Uint8Array[], depth: number): void {
  if (depth > MAX_DEPTH) throw new RangeError('CBOR value nested too deeply');
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError('CBOR: only safe integers');
    out.push(value >= 0 ? head(0, value) : head(1, -1 - value));
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    out.push(head(3, bytes.length), bytes);
  } else if (value instanceof Uint8Array) {
    out.push(head(2, value.length), value);
  } else {
    out.push(head(5, value.size));
    for (const [key, item] of value) {
      write(key, out, depth + 1);
      write(item, out, depth + 1);
    }
  }
}

/** The initial byte(s): major type and argument (lengths and values below 2^32). */
function head(major: number, argument: number): Uint8Array {
  const type = major << 5;
  if (argument < 24) return Uint8Array.of(type | argument);
  if (argument < 0x100) return Uint8Array.of(type | 24, argument);
  if (argument < 0x10000) return Uint8Array.of(type | 25, argument >> 8, argument & 0xff);
  if (argument < 0x100000000) {
    const bytes = Buffer.alloc(5);
    bytes[0] = type | 26;
    bytes.writeUInt32BE(argument, 1);
    return bytes;
  }
  throw new RangeError('CBOR: argument too large for this encoder');
}
