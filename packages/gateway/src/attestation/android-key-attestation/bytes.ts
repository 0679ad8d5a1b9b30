import { timingSafeEqual } from 'node:crypto';

/** Lowercase hex of `bytes`, two digits per byte. */
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Equal bytes, in time independent of where they differ. Lengths are compared first: the length
 * of a challenge is not secret.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * The bytes of an ASN.1 OCTET STRING as @peculiar/asn1-schema hands them out: sometimes an
 * OctetString object (its `buffer` is an ArrayBuffer), sometimes a bare ArrayBuffer (the
 * package name of asn1-android's AttestationPackageInfo). Anything else is `undefined`.
 */
export function octetsOf(value: unknown): Uint8Array | undefined {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'object' && value !== null && 'buffer' in value) {
    const inner = value.buffer;
    if (inner instanceof ArrayBuffer) return new Uint8Array(inner);
  }
  return undefined;
}

/**
 * A certificate serial number in the key format of Google's attestation status list: lowercase
 * hex of the (unsigned) integer without leading zeros, as Java's BigInteger.toString(16) prints it.
 */
export function serialKey(serialBytes: Uint8Array): string {
  const hex = toHex(serialBytes).replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}
