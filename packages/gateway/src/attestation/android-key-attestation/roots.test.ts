import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GOOGLE_HARDWARE_ATTESTATION_ROOTS } from './roots.js';
import { loadRealChain } from './real-chains.test-helpers.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const derOf = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));

describe('pinned Google hardware attestation roots', () => {
  it('each embedded root hashes to the SHA-256 fingerprint written beside it', () => {
    for (const root of GOOGLE_HARDWARE_ATTESTATION_ROOTS) {
      expect(sha256(derOf(root.derBase64))).toBe(root.sha256);
    }
  });

  it('each embedded root is a self-signed certificate', () => {
    for (const root of GOOGLE_HARDWARE_ATTESTATION_ROOTS) {
      const certificate = new X509Certificate(derOf(root.derBase64));
      expect(certificate.verify(certificate.publicKey)).toBe(true);
      expect(certificate.ca).toBe(true);
    }
  });

  it('the root the real TEE chains end in is the first pinned root, byte for byte', () => {
    for (const name of [
      'algorithm_EC_SecurityLevel_TEE',
      'algorithm_RSA_SecurityLevel_TEE',
    ] as const) {
      const presentedRoot = loadRealChain(name)[3];
      expect(presentedRoot).toBeDefined();
      expect(sha256(presentedRoot ?? new Uint8Array())).toBe(
        GOOGLE_HARDWARE_ATTESTATION_ROOTS[0]?.sha256,
      );
    }
  });

  it('the four RSA roots are re-issues of one key, so a chain ending in any copy is the same anchor', () => {
    const spkis = GOOGLE_HARDWARE_ATTESTATION_ROOTS.slice(0, 4).map((root) =>
      new X509Certificate(derOf(root.derBase64)).publicKey
        .export({ type: 'spki', format: 'der' })
        .toString('hex'),
    );
    expect(new Set(spkis).size).toBe(1);
  });

  it('the StrongBox vectors end in a root that Google does not publish, so it is not pinned', () => {
    const strongBoxRoot =
      loadRealChain('algorithm_EC_SecurityLevel_StrongBox')[3] ?? new Uint8Array();
    const pinned = GOOGLE_HARDWARE_ATTESTATION_ROOTS.map((root) => root.sha256);
    expect(pinned).not.toContain(sha256(strongBoxRoot));
  });
});
