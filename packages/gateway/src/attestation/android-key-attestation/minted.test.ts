import { calculateJwkThumbprint, exportJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMockKeyAttestationCa,
  DEFAULT_PACKAGE,
  DEFAULT_SIGNING_DIGEST,
  type MintKeyAttestationOptions,
  type MockKeyAttestationCa,
} from '@rampart/testkit';
import {
  fixedStatusList,
  noStatusList,
  parseStatusList,
  trustAnchorsFrom,
  verifyKeyAttestation,
  type KeyAttestationOptions,
  type KeyAttestationPolicyInput,
  type KeyAttestationReason,
} from './index.js';

const day = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2027, 0, 15);
const CA_VALIDITY = {
  notBefore: new Date(Date.UTC(2026, 0, 1)),
  notAfter: new Date(Date.UTC(2036, 0, 1)),
};
const CHALLENGE = new TextEncoder().encode('challenge');
const DIGEST_HEX = Buffer.from(DEFAULT_SIGNING_DIGEST).toString('hex');
const POLICY: KeyAttestationPolicyInput = {
  packageNames: [DEFAULT_PACKAGE.name],
  signingCertificateDigests: [DIGEST_HEX],
};

let ca: MockKeyAttestationCa;
let baseOptions: KeyAttestationOptions;

beforeAll(async () => {
  ca = await createMockKeyAttestationCa({ validity: CA_VALIDITY });
  baseOptions = {
    challenge: CHALLENGE,
    now: NOW,
    policy: POLICY,
    revocation: fixedStatusList({ entries: new Map() }),
    trustAnchors: trustAnchorsFrom([ca.rootDer]),
  };
});

async function verdictFor(
  mint: MintKeyAttestationOptions = {},
  options: Partial<KeyAttestationOptions> = {},
) {
  const minted = await ca.mint(mint);
  return verifyKeyAttestation(minted.chain, { ...baseOptions, ...options });
}

async function expectRefused(
  reason: KeyAttestationReason,
  mint: MintKeyAttestationOptions = {},
  options: Partial<KeyAttestationOptions> = {},
): Promise<void> {
  expect(await verdictFor(mint, options)).toMatchObject({ outcome: 'invalid', reason });
}

describe('a minted attestation that meets the policy', () => {
  it('verifies and carries the attested key as a JWK with its RFC 7638 thumbprint', async () => {
    const minted = await ca.mint();
    const verdict = await verifyKeyAttestation(minted.chain, baseOptions);
    expect(verdict.outcome).toBe('valid');
    if (verdict.outcome !== 'valid') return;
    const jwk = await exportJWK(minted.leafKeys.publicKey);
    expect(verdict.value.jwkThumbprint).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    expect(verdict.value.publicKeyJwk).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      x: jwk.x,
      y: jwk.y,
    });
    expect(verdict.value).toMatchObject({
      attestationSecurityLevel: 'trusted-environment',
      verifiedBootState: 'verified',
      deviceLocked: true,
      packages: [DEFAULT_PACKAGE],
      signingCertificateDigests: [DIGEST_HEX],
    });
  });

  it('verifies when the device leaves the root out of the chain', async () => {
    expect((await verdictFor({ omitRoot: true })).outcome).toBe('valid');
  });

  it('accepts StrongBox under a StrongBox minimum, and digests written with colons and capitals', async () => {
    const colons = DIGEST_HEX.toUpperCase().replace(/(..)(?!$)/g, '$1:');
    const verdict = await verdictFor(
      { attestationSecurityLevel: 'strongbox' },
      {
        policy: {
          ...POLICY,
          signingCertificateDigests: [colons],
          minimumSecurityLevel: 'strongbox',
        },
      },
    );
    expect(verdict.outcome).toBe('valid');
  });
});

describe('each refusal of a minted attestation has its own reason', () => {
  it('certificate_malformed: bytes that are not a certificate, or no certificate at all', async () => {
    const minted = await ca.mint();
    const garbage = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    expect(
      await verifyKeyAttestation([garbage, ...minted.chain.slice(1)], baseOptions),
    ).toMatchObject({
      outcome: 'invalid',
      reason: 'certificate_malformed',
    });
    expect(await verifyKeyAttestation([], baseOptions)).toMatchObject({
      reason: 'certificate_malformed',
    });
  });

  it('too_large: more than ten certificates, a certificate over 16 KiB, too many packages', async () => {
    const minted = await ca.mint();
    const eleven = Array.from({ length: 11 }, () => minted.chain[0] ?? new Uint8Array());
    expect(await verifyKeyAttestation(eleven, baseOptions)).toMatchObject({ reason: 'too_large' });
    const huge = new Uint8Array(16 * 1024 + 1);
    expect(await verifyKeyAttestation([huge], baseOptions)).toMatchObject({ reason: 'too_large' });
    const packages = Array.from({ length: 33 }, (_, i) => ({
      name: `com.example.p${i}`,
      version: 1,
    }));
    await expectRefused('too_large', { packages });
  });

  it('chain_untrusted: a chain issued by another root', async () => {
    await expectRefused('chain_untrusted', { signedBy: 'other-root' });
  });

  it('chain_untrusted: a leaf spliced onto another chain', async () => {
    const [first, second] = [await ca.mint(), await ca.mint()];
    const spliced = [first.chain[0] ?? new Uint8Array(), ...second.chain.slice(1)];
    expect(await verifyKeyAttestation(spliced, baseOptions)).toMatchObject({
      reason: 'chain_untrusted',
    });
  });

  it('chain_untrusted: a certificate forged below the attested key, which may not issue', async () => {
    await expectRefused('chain_untrusted', { extendBelowLeaf: true });
  });

  it('certificate_expired and certificate_not_yet_valid follow the injected clock', async () => {
    const leafValidity = { notBefore: new Date(NOW - 10 * day), notAfter: new Date(NOW - day) };
    await expectRefused('certificate_expired', { leafValidity });
    const intermediateValidity = {
      notBefore: new Date(NOW + day),
      notAfter: new Date(NOW + 10 * day),
    };
    await expectRefused('certificate_not_yet_valid', { intermediateValidity });
    // The same chains verify when the clock is inside their windows.
    expect((await verdictFor({ leafValidity }, { now: NOW - 5 * day })).outcome).toBe('valid');
  });

  it('certificate_expired: the root expired', async () => {
    await expectRefused('certificate_expired', {}, { now: CA_VALIDITY.notAfter.getTime() + day });
  });

  it('certificate_revoked: the leaf or the intermediate serial is on the status list', async () => {
    for (const which of ['leaf', 'intermediate'] as const) {
      const minted = await ca.mint();
      const serial = which === 'leaf' ? minted.leafSerial : minted.intermediateSerial;
      const list = parseStatusList(
        JSON.stringify({ entries: { [serial]: { status: 'REVOKED' } } }),
      );
      if (list.outcome !== 'valid') throw new Error('list did not parse');
      expect(
        await verifyKeyAttestation(minted.chain, {
          ...baseOptions,
          revocation: fixedStatusList(list.value),
        }),
      ).toMatchObject({
        outcome: 'invalid',
        reason: 'certificate_revoked',
      });
    }
  });

  it('certificate_revoked: a serial written with leading zeros in the list still matches', async () => {
    const minted = await ca.mint({ leafSerial: '00ab12' });
    const list = parseStatusList('{"entries":{"00AB12":{"status":"SUSPENDED"}}}');
    if (list.outcome !== 'valid') throw new Error('list did not parse');
    expect(
      await verifyKeyAttestation(minted.chain, {
        ...baseOptions,
        revocation: fixedStatusList(list.value),
      }),
    ).toMatchObject({
      reason: 'certificate_revoked',
    });
  });

  it('status_list_unavailable: an otherwise valid attestation is indeterminate without a list', async () => {
    expect(await verdictFor({}, { revocation: noStatusList })).toMatchObject({
      outcome: 'indeterminate',
      reason: 'status_list_unavailable',
    });
  });

  it('an invalid attestation stays invalid, not indeterminate, when the list is also missing', async () => {
    expect(await verdictFor({ bootState: 'failed' }, { revocation: noStatusList })).toMatchObject({
      outcome: 'invalid',
      reason: 'boot_state_unverified',
    });
  });

  it('extension_missing: a leaf without the attestation extension', async () => {
    await expectRefused('extension_missing', { omitExtension: true });
  });

  it('extension_malformed: an extension that is not a KeyDescription', async () => {
    await expectRefused('extension_malformed', {
      rawExtension: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x03]),
    });
    await expectRefused('extension_malformed', {
      rawExtension: new Uint8Array([0x04, 0x02, 0xff, 0xff]),
    });
    const deep = new Uint8Array(64);
    for (let i = 0; i < 32; i++) deep.set([0x30, 62 - 2 * i], 2 * i);
    await expectRefused('extension_malformed', { rawExtension: deep });
  });

  it('extension_misplaced: the extension on a certificate other than the leaf', async () => {
    await expectRefused('extension_misplaced', { extensionOnIntermediate: true });
  });

  it('challenge_mismatch: a challenge other than the one issued, or none issued', async () => {
    await expectRefused('challenge_mismatch', { challenge: new TextEncoder().encode('challengf') });
    await expectRefused('challenge_mismatch', {
      challenge: new TextEncoder().encode('challenge!'),
    });
    await expectRefused('challenge_mismatch', {}, { challenge: new Uint8Array() });
  });

  it('security_level_too_low: software-only attestation is refused by default', async () => {
    await expectRefused('security_level_too_low', { attestationSecurityLevel: 'software' });
    await expectRefused('security_level_too_low', {
      attestationSecurityLevel: 'trusted-environment',
      keyMintSecurityLevel: 'software',
    });
    await expectRefused(
      'security_level_too_low',
      {},
      { policy: { ...POLICY, minimumSecurityLevel: 'strongbox' } },
    );
  });

  it('software-only attestation passes only when the policy explicitly lowers the minimum', async () => {
    const verdict = await verdictFor(
      { attestationSecurityLevel: 'software' },
      { policy: { ...POLICY, minimumSecurityLevel: 'software' } },
    );
    expect(verdict).toMatchObject({
      outcome: 'valid',
      value: { attestationSecurityLevel: 'software' },
    });
  });

  it('boot_state_unverified: unverified, self-signed, failed or absent root of trust', async () => {
    for (const bootState of ['unverified', 'self-signed', 'failed', 'absent'] as const) {
      await expectRefused('boot_state_unverified', { bootState });
    }
  });

  it('device_unlocked: an unlocked bootloader, accepted only when the policy allows it', async () => {
    await expectRefused('device_unlocked', { deviceLocked: false });
    const verdict = await verdictFor(
      { deviceLocked: false },
      { policy: { ...POLICY, requireDeviceLocked: false } },
    );
    expect(verdict.outcome).toBe('valid');
  });

  it('package_forbidden: another package, an extra package sharing the UID, or no application id', async () => {
    await expectRefused('package_forbidden', {
      packages: [{ name: 'com.example.other', version: 1 }],
    });
    await expectRefused('package_forbidden', {
      packages: [DEFAULT_PACKAGE, { name: 'com.example.other', version: 1 }],
    });
    await expectRefused('package_forbidden', { packages: [] });
  });

  it('signing_digest_forbidden: an app signed with another certificate, or with none stated', async () => {
    await expectRefused('signing_digest_forbidden', {
      signingDigests: [new Uint8Array(32).fill(1)],
    });
    await expectRefused('signing_digest_forbidden', { signingDigests: [] });
  });
});
