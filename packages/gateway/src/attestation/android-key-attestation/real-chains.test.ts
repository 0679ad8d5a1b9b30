import { X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importX509 } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  fixedStatusList,
  parseStatusList,
  trustAnchorsFrom,
  verifyKeyAttestation,
  type KeyAttestationOptions,
  type StatusList,
} from './index.js';
import {
  ANDROID_VECTORS,
  loadRealChain,
  PLATFORM_SIGNING_DIGEST,
  REAL_CHAINS,
  SYSTEM_UID_PACKAGES,
  type RealChain,
} from './real-chains.test-helpers.js';
import { readFileSync } from 'node:fs';

const CHALLENGE = new TextEncoder().encode('abc');

// Every certificate of the four chains is valid on this day (2018-03-21 → 2028-03-18 at the least).
const INSIDE_VALIDITY = Date.UTC(2020, 0, 1);
// After the intermediates (2028-03-18) and the StrongBox leaves (2028-05-23) expired.
const AFTER_EXPIRY = Date.UTC(2030, 0, 1);
// Before the intermediates were issued (2018-03-21).
const BEFORE_ISSUE = Date.UTC(2017, 0, 1);

const EMPTY_LIST: StatusList = { entries: new Map() };
const isStrongBox = (name: RealChain): boolean => name.includes('StrongBox');

/** Options that accept the vectors: their own allowlists, and the unverified boot they report. */
function optionsFor(
  name: RealChain,
  overrides: Partial<KeyAttestationOptions> = {},
): KeyAttestationOptions {
  const chain = loadRealChain(name);
  return {
    challenge: CHALLENGE,
    now: INSIDE_VALIDITY,
    policy: {
      packageNames: SYSTEM_UID_PACKAGES,
      signingCertificateDigests: [PLATFORM_SIGNING_DIGEST],
      allowedBootStates: ['unverified'],
      requireDeviceLocked: false,
    },
    revocation: fixedStatusList(EMPTY_LIST),
    // The TEE chains end in Google's pinned root (the default anchors); the StrongBox chains end
    // in a root Google does not publish, trusted here explicitly (see roots.test.ts).
    ...(isStrongBox(name)
      ? { trustAnchors: trustAnchorsFrom([chain[3] ?? new Uint8Array()]) }
      : {}),
    ...overrides,
  };
}

describe('the four real Android key attestation chains', () => {
  for (const name of REAL_CHAINS) {
    it(`${name} verifies against its root with the clock inside its validity`, async () => {
      const chain = loadRealChain(name);
      const verdict = await verifyKeyAttestation(chain, optionsFor(name));
      expect(verdict.outcome).toBe('valid');
      if (verdict.outcome !== 'valid') return;
      const level = isStrongBox(name) ? 'strongbox' : 'trusted-environment';
      expect(verdict.value).toMatchObject({
        attestationVersion: 3,
        attestationSecurityLevel: level,
        keyMintSecurityLevel: level,
        verifiedBootState: 'unverified',
        deviceLocked: false,
        signingCertificateDigests: [PLATFORM_SIGNING_DIGEST],
      });
      expect(verdict.value.packages.map((pkg) => pkg.name)).toEqual(SYSTEM_UID_PACKAGES);
      // The thumbprint is the leaf key's, computed here through an independent path (jose).
      const leafPem = new X509Certificate(chain[0] ?? new Uint8Array()).toString();
      const algorithm = name.includes('_EC_') ? 'ES256' : 'RS256';
      const leafJwk = await exportJWK(await importX509(leafPem, algorithm, { extractable: true }));
      expect(verdict.value.jwkThumbprint).toBe(await calculateJwkThumbprint(leafJwk, 'sha256'));
    });

    it(`${name} fails with certificate_expired under a clock after its certificates expired`, async () => {
      const verdict = await verifyKeyAttestation(
        loadRealChain(name),
        optionsFor(name, { now: AFTER_EXPIRY }),
      );
      expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'certificate_expired' });
      // The TEE leaves never expire (notAfter 2106-02-07, "no expiry"): there it is the
      // intermediate (certificate 1) that fails; the StrongBox leaves expire on 2028-05-23.
      expect(verdict.outcome !== 'valid' && verdict.detail).toBe(
        isStrongBox(name) ? 'certificate 0 has expired' : 'certificate 1 has expired',
      );
    });

    it(`${name} fails with certificate_not_yet_valid under a clock before its intermediates were issued`, async () => {
      const verdict = await verifyKeyAttestation(
        loadRealChain(name),
        optionsFor(name, { now: BEFORE_ISSUE }),
      );
      expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'certificate_not_yet_valid' });
    });

    it(`${name} is refused under the default policy, which requires verified boot`, async () => {
      const options = optionsFor(name);
      const verdict = await verifyKeyAttestation(loadRealChain(name), {
        ...options,
        policy: {
          packageNames: SYSTEM_UID_PACKAGES,
          signingCertificateDigests: [PLATFORM_SIGNING_DIGEST],
        },
      });
      expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'boot_state_unverified' });
    });

    it(`${name} is refused when one of its serials is REVOKED in the status list`, async () => {
      const chain = loadRealChain(name);
      // Serial of the intermediate in Google's key format (BigInteger.toString(16)).
      const serial = BigInt(
        `0x${new X509Certificate(chain[1] ?? new Uint8Array()).serialNumber}`,
      ).toString(16);
      const list = parseStatusList(
        JSON.stringify({ entries: { [serial]: { status: 'REVOKED', reason: 'KEY_COMPROMISE' } } }),
      );
      expect(list.outcome).toBe('valid');
      if (list.outcome !== 'valid') return;
      const verdict = await verifyKeyAttestation(
        chain,
        optionsFor(name, { revocation: fixedStatusList(list.value) }),
      );
      expect(verdict).toMatchObject({
        outcome: 'invalid',
        reason: 'certificate_revoked',
        detail: 'certificate 1 is listed',
      });
    });

    it(`${name} is refused for a challenge other than the one it was made for`, async () => {
      const verdict = await verifyKeyAttestation(
        loadRealChain(name),
        optionsFor(name, { challenge: new TextEncoder().encode('abd') }),
      );
      expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'challenge_mismatch' });
    });
  }

  it('the EC StrongBox leaf names an issuer other than its signer, and verifies by signature', async () => {
    // Why the chain check binds certificates by signature and not by names (chain.ts).
    const name = 'algorithm_EC_SecurityLevel_StrongBox';
    const [leaf, signer] = loadRealChain(name).map((der) => new X509Certificate(der));
    expect(leaf?.issuer).not.toBe(signer?.subject);
    expect(signer !== undefined && leaf?.verify(signer.publicKey)).toBe(true);
    expect((await verifyKeyAttestation(loadRealChain(name), optionsFor(name))).outcome).toBe(
      'valid',
    );
  });

  it('the StrongBox chains are untrusted under the default anchors (Google roots only)', async () => {
    for (const name of [
      'algorithm_EC_SecurityLevel_StrongBox',
      'algorithm_RSA_SecurityLevel_StrongBox',
    ] as const) {
      const { challenge, now, policy, revocation } = optionsFor(name);
      const verdict = await verifyKeyAttestation(loadRealChain(name), {
        challenge,
        now,
        policy,
        revocation,
      });
      expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'chain_untrusted' });
    }
  });

  it('a SUSPENDED leaf serial is refused like a revoked one', async () => {
    const name = 'algorithm_EC_SecurityLevel_TEE';
    const list = parseStatusList('{"entries":{"1":{"status":"SUSPENDED"}}}');
    if (list.outcome !== 'valid') throw new Error('list did not parse');
    const verdict = await verifyKeyAttestation(
      loadRealChain(name),
      optionsFor(name, { revocation: fixedStatusList(list.value) }),
    );
    expect(verdict).toMatchObject({
      outcome: 'invalid',
      reason: 'certificate_revoked',
      detail: 'certificate 0 is listed',
    });
  });

  it("Google's sample status list revokes none of these chains, so they still verify under it", async () => {
    const list = parseStatusList(readFileSync(new URL('status.json', ANDROID_VECTORS)));
    if (list.outcome !== 'valid') throw new Error('sample list did not parse');
    for (const name of REAL_CHAINS) {
      const verdict = await verifyKeyAttestation(
        loadRealChain(name),
        optionsFor(name, { revocation: fixedStatusList(list.value) }),
      );
      expect(verdict.outcome).toBe('valid');
    }
  });

  it('a device still presenting the expired 2016 Google root verifies while a pinned re-issue of that key is valid', async () => {
    const name = 'algorithm_RSA_SecurityLevel_TEE';
    const afterOldRootExpired = Date.UTC(2027, 5, 1); // 2016 root expired 2026-05-24; intermediates valid to 2028-03-18
    const verdict = await verifyKeyAttestation(
      loadRealChain(name),
      optionsFor(name, { now: afterOldRootExpired }),
    );
    expect(verdict.outcome).toBe('valid');
  });

  it('pinning only the expired 2016 copy makes the same chain fail with certificate_expired', async () => {
    const name = 'algorithm_RSA_SecurityLevel_TEE';
    const chain = loadRealChain(name);
    const verdict = await verifyKeyAttestation(
      chain,
      optionsFor(name, {
        now: Date.UTC(2027, 5, 1),
        trustAnchors: trustAnchorsFrom([chain[3] ?? new Uint8Array()]),
      }),
    );
    expect(verdict).toMatchObject({
      outcome: 'invalid',
      reason: 'certificate_expired',
      detail: 'the root has expired',
    });
  });

  it('a chain sent without its root still verifies: the pinned root signs the last certificate', async () => {
    const name = 'algorithm_EC_SecurityLevel_TEE';
    const verdict = await verifyKeyAttestation(loadRealChain(name).slice(0, 3), optionsFor(name));
    expect(verdict.outcome).toBe('valid');
  });

  it('a chain with a certificate left out in the middle is untrusted', async () => {
    const name = 'algorithm_EC_SecurityLevel_TEE';
    const [leaf, , intermediate, root] = loadRealChain(name);
    const verdict = await verifyKeyAttestation(
      [leaf ?? new Uint8Array(), intermediate ?? new Uint8Array(), root ?? new Uint8Array()],
      optionsFor(name),
    );
    expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'chain_untrusted' });
  });
});
