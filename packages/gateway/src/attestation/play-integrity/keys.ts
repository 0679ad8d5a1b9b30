import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * The two keys Play Console gives a team that decrypts and verifies integrity tokens itself
 * (Play Console → App integrity → Response encryption → "Manage and download my response
 * encryption keys"), each as the base64 text Play Console shows.
 */
export interface PlayIntegrityKeyMaterial {
  /** base64 of the 32-byte AES-256 key that unwraps the JWE content key (A256KW). */
  readonly decryptionKey: string;
  /** base64 of the DER SubjectPublicKeyInfo of the P-256 key that signs the inner JWS (ES256). */
  readonly verificationKey: string;
}

/** The keys, decoded and checked: what the verifier holds. */
export interface PlayIntegrityKeys {
  readonly decryptionKey: Uint8Array;
  readonly verificationKey: KeyObject;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A DER SPKI for P-256 is 91 bytes; anything far larger is not one. */
const MAX_SPKI_BYTES = 512;

/**
 * Decodes and checks both keys. Throws a TypeError naming which key is wrong (never its
 * value) when the decryption key is not 32 bytes of base64 or the verification key is not a
 * P-256 public key in DER SPKI: a configuration error, found at start-up.
 */
export function importPlayIntegrityKeys(material: PlayIntegrityKeyMaterial): PlayIntegrityKeys {
  const aes = decodeBase64(material.decryptionKey, 64, 'decryption key');
  if (aes.length !== 32) {
    throw new TypeError('Play Integrity decryption key: expected base64 of 32 bytes (AES-256).');
  }
  const der = decodeBase64(material.verificationKey, MAX_SPKI_BYTES * 2, 'verification key');
  let verificationKey: KeyObject;
  try {
    verificationKey = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    throw new TypeError('Play Integrity verification key: expected base64 of a DER SPKI.');
  }
  const details = verificationKey.asymmetricKeyDetails;
  if (verificationKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new TypeError('Play Integrity verification key: expected an EC P-256 public key.');
  }
  return { decryptionKey: aes, verificationKey };
}

function decodeBase64(text: string, maxLength: number, name: string): Uint8Array {
  if (text.length > maxLength * 2) throw new TypeError(`Play Integrity ${name}: too long.`);
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length > maxLength || !BASE64.test(compact)) {
    throw new TypeError(`Play Integrity ${name}: expected base64 text.`);
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}
