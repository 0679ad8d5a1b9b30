import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AttestationApplicationId,
  NonStandardKeyDescription,
  id_ce_keyDescription,
  type NonStandardAuthorizationList,
} from '@peculiar/asn1-android';
import { invalid, valid, type Verdict } from '@rampart/core';
import { octetsOf, toHex } from './bytes.js';
import { extensionsWithId, type ParsedCertificate } from './certificate.js';
import { derShapeProblem } from './der.js';
import type { KeyAttestationReason } from './reasons.js';

/** The attestation extension's OID (Android key attestation, KeyDescription). */
export const KEY_DESCRIPTION_OID = id_ce_keyDescription;

/** Most packages and signing digests accepted in an attestation application id. */
export const MAX_APPLICATION_ENTRIES = 32;
/** Deepest nesting accepted inside the extension and inside the application id. */
const MAX_EXTENSION_DEPTH = 12;

/** KeyMint/Keymaster security levels, weakest first (KeyDescription's SecurityLevel). */
export const SECURITY_LEVELS = ['software', 'trusted-environment', 'strongbox'] as const;
export type SecurityLevelName = (typeof SECURITY_LEVELS)[number];

/** Verified boot states in the enum's order (RootOfTrust's VerifiedBootState). */
export const BOOT_STATES = ['verified', 'self-signed', 'unverified', 'failed'] as const;
export type BootStateName = (typeof BOOT_STATES)[number];

/** What the attestation extension says, reduced to what policy and the stage use. */
export interface AttestationRecord {
  readonly attestationVersion: number;
  readonly attestationSecurityLevel: SecurityLevelName;
  readonly keyMintVersion: number;
  readonly keyMintSecurityLevel: SecurityLevelName;
  readonly challenge: Uint8Array;
  /** From the hardware-enforced list only; absent when the hardware did not state one. */
  readonly rootOfTrust?: {
    readonly verifiedBootState: BootStateName;
    readonly deviceLocked: boolean;
  };
  /** Absent when the extension carries no attestationApplicationId. */
  readonly application?: {
    readonly packages: readonly { readonly name: string; readonly version: number }[];
    /** SHA-256 digests of the app's signing certificates, lowercase hex. */
    readonly signingCertificateDigests: readonly string[];
  };
}

type RecordReason = Extract<KeyAttestationReason, 'extension_malformed' | 'too_large'>;

class Malformed extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function enumName<T extends string>(names: readonly T[], value: unknown, field: string): T {
  const name = typeof value === 'number' && Number.isInteger(value) ? names[value] : undefined;
  if (name === undefined) throw new Malformed(`${field} has an unknown value`);
  return name;
}

function readApplication(
  lists: readonly NonStandardAuthorizationList[],
): Verdict<AttestationRecord['application'] | undefined, RecordReason> {
  const raw = lists
    .map((list) => list.findProperty('attestationApplicationId'))
    .find((v) => v !== undefined);
  if (raw === undefined) return valid(undefined);
  const bytes = octetsOf(raw);
  if (bytes === undefined) throw new Malformed('attestationApplicationId is not an OCTET STRING');
  const shape = derShapeProblem(bytes, MAX_EXTENSION_DEPTH);
  if (shape !== undefined) throw new Malformed(`attestationApplicationId: ${shape}`);
  const id = AsnConvert.parse(bytes, AttestationApplicationId);
  // asn1-schema leaves an empty SET OF undefined.
  const packageInfos = id.packageInfos ?? [];
  const signatureDigests = id.signatureDigests ?? [];
  if (
    packageInfos.length > MAX_APPLICATION_ENTRIES ||
    signatureDigests.length > MAX_APPLICATION_ENTRIES
  ) {
    return invalid('too_large', 'too many packages or signing digests in the application id');
  }
  const packages = packageInfos.map((info) => {
    const name = octetsOf(info.packageName);
    if (name === undefined || !Number.isSafeInteger(info.version))
      throw new Malformed('bad package info');
    return { name: utf8.decode(name), version: info.version };
  });
  const signingCertificateDigests = signatureDigests.map((digest) => {
    const bytes = octetsOf(digest);
    if (bytes === undefined) throw new Malformed('bad signature digest');
    return toHex(bytes);
  });
  return valid({ packages, signingCertificateDigests });
}

/**
 * Reads the KeyDescription (OID 1.3.6.1.4.1.11129.2.1.17) of `leaf` with @peculiar/asn1-android,
 * in its lenient form that accepts authorization-list fields out of tag order (some devices emit
 * them so). Callers have already checked that exactly one such extension exists.
 *
 * Spec: https://source.android.com/docs/security/features/keystore/attestation#schema
 */
export function readAttestationRecord(
  leaf: ParsedCertificate,
): Verdict<AttestationRecord, RecordReason> {
  const extension = extensionsWithId(leaf, KEY_DESCRIPTION_OID)[0];
  if (extension === undefined) return invalid('extension_malformed', 'no attestation extension');
  try {
    const value = new Uint8Array(extension.extnValue.buffer);
    const shape = derShapeProblem(value, MAX_EXTENSION_DEPTH);
    if (shape !== undefined) return invalid('extension_malformed', shape);
    const description = AsnConvert.parse(value, NonStandardKeyDescription);
    const challenge = octetsOf(description.attestationChallenge);
    if (challenge === undefined) throw new Malformed('attestationChallenge is not an OCTET STRING');
    const hardware = description.teeEnforced;
    const root = hardware.findProperty('rootOfTrust');
    const application = readApplication([description.softwareEnforced, hardware]);
    if (application.outcome !== 'valid') return application;
    if (
      !Number.isSafeInteger(description.attestationVersion) ||
      !Number.isSafeInteger(description.keymasterVersion)
    ) {
      throw new Malformed('version out of range');
    }
    return valid({
      attestationVersion: description.attestationVersion,
      attestationSecurityLevel: enumName(
        SECURITY_LEVELS,
        description.attestationSecurityLevel,
        'attestationSecurityLevel',
      ),
      keyMintVersion: description.keymasterVersion,
      keyMintSecurityLevel: enumName(
        SECURITY_LEVELS,
        description.keymasterSecurityLevel,
        'keyMintSecurityLevel',
      ),
      challenge,
      ...(root === undefined
        ? {}
        : {
            rootOfTrust: {
              verifiedBootState: enumName(BOOT_STATES, root.verifiedBootState, 'verifiedBootState'),
              deviceLocked: root.deviceLocked === true,
            },
          }),
      ...(application.value === undefined ? {} : { application: application.value }),
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, 120) : 'unparseable';
    return invalid('extension_malformed', detail);
  }
}
