import { invalid, valid, type Verdict } from '@rampart/core';
import { isSignedBy, mayIssue, parseCertificate, type ParsedCertificate } from './certificate.js';
import type { KeyAttestationReason } from './reasons.js';
import { GOOGLE_HARDWARE_ATTESTATION_ROOTS } from './roots.js';

/** A pinned root, parsed once. */
export interface TrustAnchor {
  readonly certificate: ParsedCertificate;
}

/**
 * Parses DER root certificates into trust anchors. Throws on a root that does not parse: anchors
 * come from code or configuration, never from a request, and a broken one must stop start-up.
 */
export function trustAnchorsFrom(roots: readonly Uint8Array[]): readonly TrustAnchor[] {
  return roots.map((der, index) => {
    const parsed = parseCertificate(der);
    if (typeof parsed === 'string')
      throw new Error(`trust anchor ${index} is not a certificate: ${parsed}`);
    return { certificate: parsed };
  });
}

let googleAnchors: readonly TrustAnchor[] | undefined;

/** Google's hardware attestation roots (roots.ts) as trust anchors, parsed on first use. */
export function googleTrustAnchors(): readonly TrustAnchor[] {
  googleAnchors ??= trustAnchorsFrom(
    GOOGLE_HARDWARE_ATTESTATION_ROOTS.map(
      (root) => new Uint8Array(Buffer.from(root.derBase64, 'base64')),
    ),
  );
  return googleAnchors;
}

type ChainReason = Extract<
  KeyAttestationReason,
  'chain_untrusted' | 'certificate_expired' | 'certificate_not_yet_valid'
>;

interface Window {
  readonly notBefore: number;
  readonly notAfter: number;
}

function windowProblem(
  windows: readonly Window[],
  now: number,
  what: string,
): Verdict<never, ChainReason> | undefined {
  if (windows.some((w) => w.notBefore <= now && now <= w.notAfter)) return undefined;
  return windows.every((w) => now < w.notBefore)
    ? invalid('certificate_not_yet_valid', `${what} is not valid yet`)
    : invalid('certificate_expired', `${what} has expired`);
}

/**
 * Verifies a parsed chain (leaf first) up to one of `anchors` at the instant `now` (ms).
 *
 * - Every certificate is signed by the next one, and every issuer may issue (CA, keyCertSign).
 *   Issuer and subject names are not compared: the signature is what binds a certificate to its
 *   issuer, and a real StrongBox chain in the shared vectors names an issuer other than its signer.
 * - The top certificate is either a copy of a pinned root (same public key, and it verifies its
 *   own signature) or is signed by a pinned root.
 * - Every certificate is within its validity window at `now`. A presented root copy counts as
 *   valid when it, or any pinned certificate of the same key, is valid: Google re-issued its RSA
 *   root with new dates, and devices still present the 2016 copy.
 */
export function verifyChain(
  chain: readonly ParsedCertificate[],
  anchors: readonly TrustAnchor[],
  now: number,
): Verdict<undefined, ChainReason> {
  const top = chain[chain.length - 1];
  if (top === undefined) return invalid('chain_untrusted', 'empty chain');
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i];
    const issuer = chain[i + 1];
    if (cert === undefined || issuer === undefined) return invalid('chain_untrusted');
    if (!isSignedBy(cert, issuer.x509)) {
      return invalid('chain_untrusted', `certificate ${i} is not signed by certificate ${i + 1}`);
    }
    if (!mayIssue(issuer))
      return invalid('chain_untrusted', `certificate ${i + 1} may not issue certificates`);
  }

  const sameKey = anchors.filter((anchor) => anchor.certificate.spki.equals(top.spki));
  let rootWindows: Window[];
  let checkedThrough = chain.length;
  if (sameKey.length > 0) {
    if (!isSignedBy(top, top.x509))
      return invalid('chain_untrusted', 'the presented root does not verify its own signature');
    rootWindows = [top, ...sameKey.map((anchor) => anchor.certificate)];
    checkedThrough = chain.length - 1;
  } else {
    const issuing = anchors.filter((anchor) => isSignedBy(top, anchor.certificate.x509));
    if (issuing.length === 0) return invalid('chain_untrusted', 'the chain ends at no pinned root');
    if (!issuing.some((anchor) => mayIssue(anchor.certificate))) {
      return invalid('chain_untrusted', 'the pinned root may not issue certificates');
    }
    rootWindows = issuing.map((anchor) => anchor.certificate);
  }

  for (let i = 0; i < checkedThrough; i++) {
    const cert = chain[i];
    if (cert === undefined) break;
    const problem = windowProblem([cert], now, `certificate ${i}`);
    if (problem !== undefined) return problem;
  }
  return windowProblem(rootWindows, now, 'the root') ?? valid(undefined);
}
