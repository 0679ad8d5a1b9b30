import {
  createPublicKey,
  X509Certificate as OpenSslCertificate,
  type KeyObject,
} from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { BasicConstraintsExtension, X509Certificate } from './x509.js';
import type { AppAttestReason } from './reasons.js';

/**
 * The x5c chain of an attestation: exactly [credential certificate, intermediate], checked up
 * to one of the pinned roots. Signatures first (a forged chain is `chain_untrusted` whatever its
 * dates), then every certificate's validity window — root included — at the caller's instant.
 */
export type ChainOutcome =
  | { readonly ok: true; readonly leaf: X509Certificate; readonly leafKey: KeyObject }
  | { readonly ok: false; readonly reason: AppAttestReason; readonly detail: string };

/** Parses PEM or DER roots once, at start-up (throws on a bad pinned root: a deployment error). */
export function parseRoots(roots: readonly (string | Uint8Array)[]): readonly X509Certificate[] {
  return roots.map((root) => new X509Certificate(root));
}

export function verifyChain(
  x5c: readonly Uint8Array[],
  roots: readonly X509Certificate[],
  at: Date,
): ChainOutcome {
  const [leafDer, intermediateDer] = x5c;
  if (x5c.length !== 2 || leafDer === undefined || intermediateDer === undefined) {
    return fail('certificate_malformed', 'x5c must hold the credential certificate and one CA');
  }
  const leaf = parseCertificate(leafDer);
  const intermediate = parseCertificate(intermediateDer);
  if (leaf === undefined || intermediate === undefined) {
    return fail('certificate_malformed', 'unparsable certificate');
  }
  if (!isCa(intermediate)) return fail('chain_untrusted', 'intermediate is not a CA');
  if (leaf.issuer !== intermediate.subject || !signedBy(leaf, intermediate)) {
    return fail('chain_untrusted', 'credential certificate not signed by the intermediate');
  }
  let anchor: X509Certificate | undefined;
  for (const root of roots) {
    if (root.subject === intermediate.issuer && signedBy(intermediate, root)) {
      anchor = root;
      break;
    }
  }
  if (anchor === undefined) return fail('chain_untrusted', 'no pinned root signed the chain');
  for (const [name, certificate] of [
    ['credential certificate', leaf],
    ['intermediate', intermediate],
    ['root', anchor],
  ] as const) {
    if (at.getTime() < certificate.notBefore.getTime()) {
      return fail(
        'certificate_not_yet_valid',
        `${name} not valid before ${iso(certificate.notBefore)}`,
      );
    }
    if (at.getTime() > certificate.notAfter.getTime()) {
      return fail('certificate_expired', `${name} expired at ${iso(certificate.notAfter)}`);
    }
  }
  let leafKey: KeyObject;
  try {
    leafKey = createPublicKey({
      key: Buffer.from(leaf.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return fail('certificate_malformed', 'credential public key unreadable');
  }
  if (
    leafKey.asymmetricKeyType !== 'ec' ||
    leafKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    return fail('certificate_malformed', 'credential key is not EC P-256');
  }
  return { ok: true, leaf, leafKey };
}

/**
 * Parses a certificate and every part read later: @peculiar/x509 decodes extensions and the
 * key lazily and throws on first access, so a malformed one must surface here, as a verdict.
 */
function parseCertificate(der: Uint8Array): X509Certificate | undefined {
  try {
    if (!isCanonicalDer(der)) return undefined;
    const certificate = new X509Certificate(der);
    for (const extension of certificate.extensions) void extension.type;
    certificate.getExtension(BasicConstraintsExtension);
    void certificate.publicKey.rawData;
    void certificate.notBefore.getTime();
    void certificate.notAfter.getTime();
    return certificate;
  } catch {
    return undefined;
  }
}

/**
 * The outer SEQUENCE, the signature algorithm and the signature's BIT STRING are not covered by
 * the signature, and the ASN.1 reader accepts wrong tags, short lengths and unused bits there:
 * a certificate is accepted only if it re-encodes to the very bytes received (DER is canonical).
 */
function isCanonicalDer(der: Uint8Array): boolean {
  const reencoded = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(der, Certificate)));
  return Buffer.from(reencoded).equals(der);
}

function isCa(certificate: X509Certificate): boolean {
  const constraints = certificate.getExtension(BasicConstraintsExtension);
  return constraints?.ca === true;
}

/**
 * Signature check by OpenSSL (node:crypto), not by @peculiar/x509: OpenSSL refuses an ECDSA
 * signature whose DER is not canonical (a wrong tag or length inside the BIT STRING), which
 * the WebCrypto path accepts, and it is several times faster.
 */
function signedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    const issuerKey = createPublicKey({
      key: Buffer.from(issuer.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
    return new OpenSslCertificate(Buffer.from(subject.rawData)).verify(issuerKey);
  } catch {
    return false;
  }
}

function iso(date: Date): string {
  return date.toISOString();
}

function fail(reason: AppAttestReason, detail: string): ChainOutcome {
  return { ok: false, reason, detail };
}
