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
