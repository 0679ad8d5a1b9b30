import { invalid, valid, type Verdict } from '@rampart/core';
import {
  SECURITY_LEVELS,
  type AttestationRecord,
  type BootStateName,
  type SecurityLevelName,
} from './key-description.js';
import type { KeyAttestationReason } from './reasons.js';

/**
 * What an attested key must show to be accepted. The allowlists have no default: only the team
 * knows its package names and signing certificates.
 */
export interface KeyAttestationPolicy {
  /** Weakest level accepted for both attestationSecurityLevel and keyMintSecurityLevel. */
  readonly minimumSecurityLevel: SecurityLevelName;
  /** Verified boot states accepted (from the hardware-enforced root of trust). */
  readonly allowedBootStates: readonly BootStateName[];
  /** Refuse devices whose bootloader is unlocked. */
  readonly requireDeviceLocked: boolean;
  /** Package names accepted; every package in the attestation application id must be listed. */
  readonly packageNames: readonly string[];
  /**
   * SHA-256 digests of the app signing certificates accepted, hex (any case, colons allowed);
   * every digest in the attestation application id must be listed.
   */
  readonly signingCertificateDigests: readonly string[];
}

/** The policy's secure defaults: hardware (TEE or StrongBox), verified boot, locked bootloader. */
export const DEFAULT_KEY_ATTESTATION_POLICY = {
  minimumSecurityLevel: 'trusted-environment',
  allowedBootStates: ['verified'],
  requireDeviceLocked: true,
} as const satisfies Partial<KeyAttestationPolicy>;

/** A policy as callers write it: the allowlists, and any default they override. */
export type KeyAttestationPolicyInput = Pick<
  KeyAttestationPolicy,
  'packageNames' | 'signingCertificateDigests'
> &
  Partial<Omit<KeyAttestationPolicy, 'packageNames' | 'signingCertificateDigests'>>;

export const resolvePolicy = (input: KeyAttestationPolicyInput): KeyAttestationPolicy => ({
  ...DEFAULT_KEY_ATTESTATION_POLICY,
  ...input,
});

const normalizeDigest = (digest: string): string => digest.replace(/:/g, '').toLowerCase();

type PolicyReason = Extract<
  KeyAttestationReason,
  | 'security_level_too_low'
  | 'boot_state_unverified'
  | 'device_unlocked'
  | 'package_forbidden'
  | 'signing_digest_forbidden'
>;

/** Judges a parsed attestation record against `policy`; the first failing rule gives the reason. */
export function checkPolicy(
  record: AttestationRecord,
  policy: KeyAttestationPolicy,
): Verdict<undefined, PolicyReason> {
  const minimum = SECURITY_LEVELS.indexOf(policy.minimumSecurityLevel);
  for (const [field, level] of [
    ['attestationSecurityLevel', record.attestationSecurityLevel],
    ['keyMintSecurityLevel', record.keyMintSecurityLevel],
  ] as const) {
    if (SECURITY_LEVELS.indexOf(level) < minimum) {
      return invalid(
        'security_level_too_low',
        `${field} is ${level}, policy needs ${policy.minimumSecurityLevel}`,
      );
    }
  }

  const root = record.rootOfTrust;
  if (root === undefined)
    return invalid('boot_state_unverified', 'no hardware-enforced root of trust');
  if (!policy.allowedBootStates.includes(root.verifiedBootState)) {
    return invalid('boot_state_unverified', `verified boot state is ${root.verifiedBootState}`);
  }
  if (policy.requireDeviceLocked && !root.deviceLocked) return invalid('device_unlocked');

  const application = record.application;
  if (application === undefined || application.packages.length === 0) {
    return invalid('package_forbidden', 'no attested package');
  }
  if (!application.packages.every((pkg) => policy.packageNames.includes(pkg.name))) {
    return invalid('package_forbidden', 'an attested package is not allowed');
  }
  const allowedDigests = new Set(policy.signingCertificateDigests.map(normalizeDigest));
  if (
    application.signingCertificateDigests.length === 0 ||
    !application.signingCertificateDigests.every((digest) => allowedDigests.has(digest))
  ) {
    return invalid('signing_digest_forbidden', 'an attested signing certificate is not allowed');
  }
  return valid(undefined);
}
