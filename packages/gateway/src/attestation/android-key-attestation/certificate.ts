import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  KeyUsage,
  KeyUsageFlags,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  type Extension,
} from '@peculiar/asn1-x509';
import { derShapeProblem } from './der.js';
import { serialKey } from './bytes.js';

/** Largest certificate accepted, in bytes (real attestation certificates are 0.5–1.5 KiB). */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;
/** Deepest ASN.1 nesting accepted in a certificate (real ones nest about 7 levels). */
export const MAX_CERTIFICATE_DEPTH = 16;

/** One certificate of a chain, parsed twice: OpenSSL (signatures, keys) and asn1-x509 (fields). */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** OpenSSL's view: verifies signatures and exports the public key. */
  readonly x509: X509Certificate;
  /** DER SubjectPublicKeyInfo, for comparing keys byte for byte. */
  readonly spki: Buffer;
  /** Serial number in the status list's key format (lowercase hex, no leading zeros). */
  readonly serial: string;
  /** Validity window, milliseconds since the epoch, inclusive. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly extensions: readonly Extension[];
}

/**
 * Parses one DER certificate of hostile origin. The size and the DER shape are checked before
 * either parser runs; both parsers must accept it.
 *
 * @returns the parsed certificate, or a short problem description (never throws).
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate | string {
  if (der.length > MAX_CERTIFICATE_BYTES) return `over ${MAX_CERTIFICATE_BYTES} bytes`;
  const shape = derShapeProblem(der, MAX_CERTIFICATE_DEPTH);
  if (shape !== undefined) return shape;
  try {
    const x509 = new X509Certificate(der);
    const asn = AsnConvert.parse(der, Certificate);
    const tbs = asn.tbsCertificate;
    const notBefore = tbs.validity.notBefore.getTime().getTime();
    const notAfter = tbs.validity.notAfter.getTime().getTime();
    if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) return 'unreadable validity';
    return {
      der,
      x509,
      spki: x509.publicKey.export({ type: 'spki', format: 'der' }),
      serial: serialKey(new Uint8Array(tbs.serialNumber)),
      notBefore,
      notAfter,
      extensions: tbs.extensions ?? [],
    };
  } catch (error) {
    return error instanceof Error ? `unparseable: ${error.message.slice(0, 120)}` : 'unparseable';
  }
}

/** The extensions of `cert` with this OID. */
export const extensionsWithId = (cert: ParsedCertificate, oid: string): Extension[] =>
  cert.extensions.filter((extension) => extension.extnID === oid);

/**
 * Whether `cert` may sign other certificates: when it states basic constraints they must say CA,
 * and when it states key usage it must include keyCertSign (RFC 5280 §4.2.1.3, §4.2.1.9).
 * Certificates that state neither are accepted, as some attestation intermediates do.
 */
export function mayIssue(cert: ParsedCertificate): boolean {
  try {
    for (const extension of extensionsWithId(cert, id_ce_basicConstraints)) {
      if (!AsnConvert.parse(extension.extnValue.buffer, BasicConstraints).cA) return false;
    }
    for (const extension of extensionsWithId(cert, id_ce_keyUsage)) {
      const usage = AsnConvert.parse(extension.extnValue.buffer, KeyUsage);
      if ((usage.toNumber() & KeyUsageFlags.keyCertSign) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether `cert`'s signature verifies under `issuer`'s public key (false on any error). */
export function isSignedBy(cert: ParsedCertificate, issuer: X509Certificate): boolean {
  try {
    return cert.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
