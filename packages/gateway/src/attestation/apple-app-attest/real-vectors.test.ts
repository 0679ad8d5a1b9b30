import { createHash, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyAssertion } from './assertion.js';
import { verifyAttestation } from './attestation.js';
import { APPLE_APP_ATTESTATION_ROOT_CA_PEM, APPLE_APP_ATTESTATION_ROOT_CA_SHA256 } from './root.js';
import { realAssertions, realAttestations, rootPemFromData } from './vectors.test-helpers.js';

/** "Today" for the expiry half of the tests: fixed, so no test depends on the real date. */
const TODAY = Date.parse('2026-11-29T00:00:00Z');
const attestations = realAttestations();
const assertions = realAssertions();

describe('the pinned Apple App Attestation Root CA', () => {
  it('has the SHA-256 fingerprint Apple publishes and equals the copy in ../shared/data', () => {
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const embedded = der(APPLE_APP_ATTESTATION_ROOT_CA_PEM);
    expect(createHash('sha256').update(embedded).digest('hex')).toBe(
      APPLE_APP_ATTESTATION_ROOT_CA_SHA256,
    );
    expect(APPLE_APP_ATTESTATION_ROOT_CA_SHA256).toBe(
      '1C:B9:82:3B:A2:8B:A6:AD:2D:33:A0:06:94:1D:E2:AE:4F:51:3E:F1:D4:E8:31:B9:F7:E0:FA:7B:62:42:C9:32'
        .replaceAll(':', '')
        .toLowerCase(),
    );
    expect(embedded.equals(der(rootPemFromData()))).toBe(true);
  });
});

describe('real App Attest attestations (iOS 14 devices and node-app-attest)', () => {
  it('there are the nine documented attestations and seven assertions', () => {
    expect(attestations).toHaveLength(9);
    expect(assertions).toHaveLength(7);
  });

  it.each(attestations)('$name verifies with the clock at its own time', async (vector) => {
    const verdict = await verifyAttestation({
      attestationObject: vector.attestationObject,
      keyId: vector.keyId,
      client: { clientData: vector.clientData },
      app: { teamId: vector.teamId, bundleId: vector.bundleId },
      allowedEnvironments: ['development', 'production'],
      now: () => vector.at,
    });
    expect(verdict.outcome === 'valid' ? verdict.value.environment : verdict).toBe(
      vector.environment,
    );
    if (verdict.outcome !== 'valid') return;
    expect(Buffer.from(verdict.value.keyId, 'base64url')).toEqual(Buffer.from(vector.keyId));
    expect(verdict.value.counter).toBe(0);
    expect(verdict.value.receipt.length).toBeGreaterThan(0);
    if (vector.publicKeyPem !== undefined) {
      const expected = createPublicKey(vector.publicKeyPem).export({ format: 'jwk' });
      expect(verdict.value.publicKeyJwk).toEqual(expected);
    }
  });

  it.each(attestations)(
    '$name fails as expired under a clock set to 2026-11-29',
    async (vector) => {
      const verdict = await verifyAttestation({
        attestationObject: vector.attestationObject,
        keyId: vector.keyId,
        client: { clientData: vector.clientData },
        app: { teamId: vector.teamId, bundleId: vector.bundleId },
        allowedEnvironments: ['development', 'production'],
        now: () => TODAY,
      });
      expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'certificate_expired' });
    },
  );

  it('the iOS 14 records hash their client data with SHA-256: the explicit-hash seam agrees', async () => {
    for (const vector of attestations.filter((v) => v.clientDataHash !== undefined)) {
      const hash = vector.clientDataHash ?? new Uint8Array();
      expect(createHash('sha256').update(vector.clientData).digest()).toEqual(Buffer.from(hash));
      const verdict = await verifyAttestation({
        attestationObject: vector.attestationObject,
        keyId: vector.keyId,
        client: { clientDataHash: hash },
        app: { teamId: vector.teamId, bundleId: vector.bundleId },
        allowedEnvironments: ['development'],
        now: () => vector.at,
      });
      expect(verdict.outcome).toBe('valid');
    }
  });

  it('a real attestation is refused for another bundle id and for production-only policy', async () => {
    const vector = attestations[0];
    if (vector === undefined) throw new Error('no vectors');
    const base = {
      attestationObject: vector.attestationObject,
      keyId: vector.keyId,
      client: { clientData: vector.clientData },
      now: () => vector.at,
    };
    const swapped = await verifyAttestation({
      ...base,
      app: { teamId: vector.teamId, bundleId: 'com.example.other' },
      allowedEnvironments: ['development'],
    });
    expect(swapped).toMatchObject({ outcome: 'invalid', reason: 'rp_id_mismatch' });
    const productionOnly = await verifyAttestation({
      ...base,
      app: { teamId: vector.teamId, bundleId: vector.bundleId },
      allowedEnvironments: ['production'],
    });
    expect(productionOnly).toMatchObject({ outcome: 'invalid', reason: 'environment_forbidden' });
    const otherChallenge = await verifyAttestation({
      ...base,
      client: { clientData: Buffer.from('another challenge') },
      app: { teamId: vector.teamId, bundleId: vector.bundleId },
      allowedEnvironments: ['development'],
    });
    expect(otherChallenge).toMatchObject({ outcome: 'invalid', reason: 'nonce_mismatch' });
  });
});

describe('real App Attest assertions (iOS 14 devices)', () => {
  it.each(assertions)('$name verifies against its key with counter above 0', (vector) => {
    const verdict = verifyAssertion({
      assertion: vector.assertion,
      clientData: { kind: 'raw', bytes: vector.clientData, challenge: vector.challenge },
      app: { teamId: vector.teamId, bundleId: vector.bundleId },
      key: { publicKey: createPublicKey(vector.publicKeyPem), counter: 0 },
    });
    expect(verdict).toEqual({ outcome: 'valid', value: { counter: vector.counter } });
  });

  it.each(assertions)('$name is a replay once its counter is stored', (vector) => {
    const verdict = verifyAssertion({
      assertion: vector.assertion,
      clientData: { kind: 'raw', bytes: vector.clientData, challenge: vector.challenge },
      app: { teamId: vector.teamId, bundleId: vector.bundleId },
      key: { publicKey: createPublicKey(vector.publicKeyPem), counter: vector.counter },
    });
    expect(verdict).toMatchObject({ outcome: 'invalid', reason: 'counter_replay' });
  });

  it.each(assertions)(
    '$name is refused with other client data or a changed challenge',
    (vector) => {
      const app = { teamId: vector.teamId, bundleId: vector.bundleId };
      const key = { publicKey: createPublicKey(vector.publicKeyPem), counter: 0 };
      const tampered = verifyAssertion({
        assertion: vector.assertion,
        clientData: {
          kind: 'raw',
          bytes: Buffer.from('wurzelpfropx'),
          challenge: vector.challenge,
        },
        app,
        key,
      });
      expect(tampered).toMatchObject({ outcome: 'invalid', reason: 'signature_invalid' });
      const otherChallenge = verifyAssertion({
        assertion: vector.assertion,
        clientData: { kind: 'raw', bytes: vector.clientData, challenge: Buffer.from('pfropf') },
        app,
        key,
      });
      expect(otherChallenge).toMatchObject({ outcome: 'invalid', reason: 'challenge_mismatch' });
    },
  );
});
