import { decode } from 'cbor-x';

/**
 * WebAuthn assertion signatures must be spelled exactly one way before they are verified.
 * @simplewebauthn/server unwraps an EC2 (ECDSA) signature's DER leniently, so a valid assertion
 * with a changed DER length or a padded integer still verified: not a forgery (the signature is
 * the device's), but a second spelling of it, which a property test of ours caught. An EC2
 * signature must therefore be strict DER (X.690): SEQUENCE of two INTEGERs, short-form lengths,
 * minimal positive integers, nothing after; and every signature must be canonical base64url.
 */
export function signatureIsCanonical(signature: unknown, cosePublicKey: Uint8Array): boolean {
  if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]*$/.test(signature)) return false;
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.toString('base64url') !== signature) return false;
  return !isEc2(cosePublicKey) || isStrictEcdsaDer(bytes);
}

/** COSE key type 2 (EC2), read from our own stored credential. */
function isEc2(cosePublicKey: Uint8Array): boolean {
  try {
    const key = decode(cosePublicKey) as unknown;
    const kty: unknown =
      key instanceof Map
        ? (key as Map<unknown, unknown>).get(1)
        : (key as Record<number, unknown> | null | undefined)?.[1];
    return kty === 2;
  } catch {
    return false;
  }
}

/** SEQUENCE { INTEGER r, INTEGER s } in strict DER, as OpenSSL would re-encode it. */
export function isStrictEcdsaDer(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes.length > 139 || bytes[0] !== 0x30) return false;
  const length = bytes[1] ?? 0;
  // Short-form length only: ECDSA signatures up to P-521 would need long form, but WebAuthn's
  // ES256/ES384 fit in 127 bytes; P-521 (ES512) is then refused rather than half-checked.
  if (length >= 0x80 || length !== bytes.length - 2) return false;
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (bytes[at] !== 0x02) return false;
    const size = bytes[at + 1] ?? 0;
    if (size === 0 || size >= 0x80 || at + 2 + size > bytes.length) return false;
    const first = bytes[at + 2] ?? 0;
    const second = bytes[at + 3] ?? 0;
    if (first >= 0x80) return false; // negative
    if (first === 0x00 && size > 1 && second < 0x80) return false; // not minimal
    at += 2 + size;
  }
  return at === bytes.length;
}
