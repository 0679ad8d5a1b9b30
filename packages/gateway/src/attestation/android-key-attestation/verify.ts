import { calculateJwkThumbprint, type JWK } from 'jose';
import { indeterminate, invalid, valid, type Verdict } from '@rampart/core';
import { constantTimeEqual } from './bytes.js';
import {
  extensionsWithId,
  MAX_CERTIFICATE_BYTES,
  parseCertificate,
  type ParsedCertificate,
} from './certificate.js';
import { googleTrustAnchors, verifyChain, type TrustAnchor } from './chain.js';
import {
  KEY_DESCRIPTION_OID,
  readAttestationRecord,
  type BootStateName,
  type SecurityLevelName,
} from './key-description.js';
import { checkPolicy, resolvePolicy, type KeyAttestationPolicyInput } from './policy.js';
import type { KeyAttestationReason } from './reasons.js';
import type { StatusListProvider } from './status-list.js';

/** Most certificates accepted in a chain (devices send 3–5). */
export const MAX_CHAIN_LENGTH = 10;
/** Longest challenge accepted (KeyMint's ATTESTATION_CHALLENGE is at most 128 bytes). */
export const MAX_CHALLENGE_BYTES = 128;

export interface KeyAttestationOptions {
  /** The challenge the gateway issued for this attestation (1–128 bytes). */
  readonly challenge: Uint8Array;
  /** The verification instant, ms since the epoch; injected so tests never read today's date. */
  readonly now: number;
  /** Allowlists and any overridden default (DEFAULT_KEY_ATTESTATION_POLICY). */
  readonly policy: KeyAttestationPolicyInput;
  /** The revocation status list; a missing or stale list makes the verdict indeterminate. */
  readonly revocation: StatusListProvider;
  /**
   * Trust anchors (from `trustAnchorsFrom`); default Google's hardware attestation roots. Only
   * for devices whose maker roots attestation elsewhere, and for tests.
   */
  readonly trustAnchors?: readonly TrustAnchor[];
}

/** What a valid attestation proves, for the stage to bind and record. */
export interface AndroidKeyEvidence {
  /** The attested key (the leaf's public key) as a public JWK. */
  readonly publicKeyJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of `publicKeyJwk`, base64url: compare with the DPoP key's. */
  readonly jwkThumbprint: string;
  readonly attestationVersion: number;
  readonly attestationSecurityLevel: SecurityLevelName;
  readonly keyMintVersion: number;
  readonly keyMintSecurityLevel: SecurityLevelName;
  readonly verifiedBootState: BootStateName;
  readonly deviceLocked: boolean;
  /** Attested packages (name and versionCode). */
  readonly packages: readonly { readonly name: string; readonly version: number }[];
  /** SHA-256 digests of the app's signing certificates, lowercase hex. */
  readonly signingCertificateDigests: readonly string[];
}

function parseChain(
  chain: readonly Uint8Array[],
): Verdict<ParsedCertificate[], KeyAttestationReason> {
  if (!Array.isArray(chain) || chain.length === 0)
    return invalid('certificate_malformed', 'empty chain');
  if (chain.length > MAX_CHAIN_LENGTH)
    return invalid('too_large', `more than ${MAX_CHAIN_LENGTH} certificates`);
  const parsed: ParsedCertificate[] = [];
  for (const [index, der] of chain.entries()) {
    if (!(der instanceof Uint8Array))
      return invalid('certificate_malformed', `certificate ${index} is not bytes`);
    if (der.length > MAX_CERTIFICATE_BYTES) {
      return invalid('too_large', `certificate ${index} is over ${MAX_CERTIFICATE_BYTES} bytes`);
    }
    const cert = parseCertificate(der);
    if (typeof cert === 'string')
      return invalid('certificate_malformed', `certificate ${index}: ${cert}`);
    parsed.push(cert);
  }
  return valid(parsed);
}

/**
 * Verifies an Android key attestation: the certificate chain a device's KeyStore returns for a key
 * generated with `setAttestationChallenge(challenge)`.
 *
 * @param chain DER certificates, leaf (the attested key) first, as `KeyStore.getCertificateChain`
 *   returns them; the root may be included or left out.
 * @returns valid(AndroidKeyEvidence); invalid(reason) for a refused attestation;
 *   indeterminate('status_list_unavailable') when everything else holds but no fresh status list is
 *   at hand. Never throws on hostile input.
 * Spec: https://developer.android.com/privacy-and-security/security-key-attestation
 */
export async function verifyKeyAttestation(
  chain: readonly Uint8Array[],
  options: KeyAttestationOptions,
): Promise<Verdict<AndroidKeyEvidence, KeyAttestationReason>> {
  if (options.challenge.length === 0 || options.challenge.length > MAX_CHALLENGE_BYTES) {
    return invalid('challenge_mismatch', 'the expected challenge must be 1–128 bytes');
  }
  const parsed = parseChain(chain);
  if (parsed.outcome !== 'valid') return parsed;
  const certificates = parsed.value;
  const leaf = certificates[0];
  if (leaf === undefined) return invalid('certificate_malformed', 'empty chain');

  const chainVerdict = verifyChain(
    certificates,
    options.trustAnchors ?? googleTrustAnchors(),
    options.now,
  );
  if (chainVerdict.outcome !== 'valid') return chainVerdict;

  const statusList = options.revocation.current(options.now);
  if (statusList.outcome === 'valid') {
    const revoked = certificates.findIndex((cert) => statusList.value.entries.has(cert.serial));
    if (revoked >= 0) return invalid('certificate_revoked', `certificate ${revoked} is listed`);
  }

  // Only the leaf may carry the extension: one further down means someone signed a certificate
  // with an attested key to dress their own key up as attested.
  if (
    certificates.slice(1).some((cert) => extensionsWithId(cert, KEY_DESCRIPTION_OID).length > 0)
  ) {
    return invalid('extension_misplaced');
  }
  const extensions = extensionsWithId(leaf, KEY_DESCRIPTION_OID).length;
  if (extensions === 0) return invalid('extension_missing');
  if (extensions > 1) return invalid('extension_malformed', 'the extension appears more than once');

  const record = readAttestationRecord(leaf);
  if (record.outcome !== 'valid') return record;
  if (!constantTimeEqual(record.value.challenge, options.challenge))
    return invalid('challenge_mismatch');

  const policyVerdict = checkPolicy(record.value, resolvePolicy(options.policy));
  if (policyVerdict.outcome !== 'valid') return policyVerdict;
  if (statusList.outcome !== 'valid') return indeterminate(statusList.reason, statusList.detail);

  const { rootOfTrust, application } = record.value;
  if (rootOfTrust === undefined || application === undefined)
    return invalid('boot_state_unverified');
  let publicKeyJwk: JWK;
  let jwkThumbprint: string;
  try {
    publicKeyJwk = leaf.x509.publicKey.export({ format: 'jwk' });
    jwkThumbprint = await calculateJwkThumbprint(publicKeyJwk, 'sha256');
  } catch {
    return invalid('certificate_malformed', 'the attested key cannot be expressed as a JWK');
  }
  return valid({
    publicKeyJwk,
    jwkThumbprint,
    attestationVersion: record.value.attestationVersion,
    attestationSecurityLevel: record.value.attestationSecurityLevel,
    keyMintVersion: record.value.keyMintVersion,
    keyMintSecurityLevel: record.value.keyMintSecurityLevel,
    verifiedBootState: rootOfTrust.verifiedBootState,
    deviceLocked: rootOfTrust.deviceLocked,
    packages: application.packages,
    signingCertificateDigests: application.signingCertificateDigests,
  });
}
