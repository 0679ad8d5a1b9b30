import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';

/** The shared vectors: ../shared/data beside the repository (never copied into it). */
export const ANDROID_VECTORS = new URL(
  '../../../../../../shared/data/attestation/android-key-attestation/',
  import.meta.url,
);

export const REAL_CHAINS = [
  'algorithm_EC_SecurityLevel_StrongBox',
  'algorithm_EC_SecurityLevel_TEE',
  'algorithm_RSA_SecurityLevel_StrongBox',
  'algorithm_RSA_SecurityLevel_TEE',
] as const;
export type RealChain = (typeof REAL_CHAINS)[number];

/** The four DER certificates of a real chain, leaf first. */
export function loadRealChain(name: RealChain): Uint8Array[] {
  return [0, 1, 2, 3].map((i) => {
    const pem = readFileSync(new URL(`${name}/cert${i}.pem`, ANDROID_VECTORS), 'utf8');
    return new Uint8Array(new X509Certificate(pem).raw);
  });
}

// What the four real chains attest (google/android-key-attestation test vectors): the key was
// made by the system UID, shared by these packages, signed with one platform certificate; the
// challenge is "abc"; the device was unlocked with boot state Unverified (a development device).
export const SYSTEM_UID_PACKAGES = [
  'android',
  'com.android.keychain',
  'com.android.settings',
  'com.qti.diagservices',
  'com.android.dynsystem',
  'com.android.inputdevices',
  'com.android.localtransport',
  'com.android.location.fused',
  'com.android.server.telecom',
  'com.android.wallpaperbackup',
  'com.google.SSRestartDetector',
  'com.google.android.hiddenmenu',
  'com.android.providers.settings',
];
export const PLATFORM_SIGNING_DIGEST =
  '301aa3cb081134501c45f1422abc66c24224fd5ded5fdc8f17e697176fd866aa';
