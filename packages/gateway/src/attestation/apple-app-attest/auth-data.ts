/**
 * WebAuthn authenticator data as App Attest uses it (W3C WebAuthn §6.1; Apple, "Validating
 * apps that connect to your server"): rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian)
 * [‖ aaguid (16) ‖ credentialIdLength (2) ‖ credentialId ‖ COSE public key] — the bracketed
 * part only in attestations, where the attested-credential-data flag (AT, 0x40) is set.
 */
export interface AssertionAuthData {
  readonly rpIdHash: Uint8Array;
  readonly flags: number;
  readonly counter: number;
}

export interface AttestationAuthData extends AssertionAuthData {
  readonly aaguid: Uint8Array;
  readonly credentialId: Uint8Array;
}

const HEADER_BYTES = 37;
const ATTESTED_CREDENTIAL_DATA = 0x40;
/** App Attest credential ids are SHA-256 key ids; anything longer is not App Attest. */
const MAX_CREDENTIAL_ID_BYTES = 64;

/** The 37-byte header; undefined when `bytes` is shorter. */
export function parseAssertionAuthData(bytes: Uint8Array): AssertionAuthData | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    rpIdHash: bytes.subarray(0, 32),
    flags: view.getUint8(32),
    counter: view.getUint32(33, false),
  };
}

/** Header plus attested credential data; undefined when malformed or the AT flag is clear. */
export function parseAttestationAuthData(bytes: Uint8Array): AttestationAuthData | undefined {
  const header = parseAssertionAuthData(bytes);
  if (header === undefined || (header.flags & ATTESTED_CREDENTIAL_DATA) === 0) return undefined;
  if (bytes.length < HEADER_BYTES + 18) return undefined;
  const idLength = ((bytes[HEADER_BYTES + 16] ?? 0) << 8) | (bytes[HEADER_BYTES + 17] ?? 0);
  const idStart = HEADER_BYTES + 18;
  if (idLength === 0 || idLength > MAX_CREDENTIAL_ID_BYTES) return undefined;
  // The COSE key follows the id; it must be there, though the certificate is what is trusted.
  if (idStart + idLength >= bytes.length) return undefined;
  return {
    ...header,
    aaguid: bytes.subarray(HEADER_BYTES, HEADER_BYTES + 16),
    credentialId: bytes.subarray(idStart, idStart + idLength),
  };
}
