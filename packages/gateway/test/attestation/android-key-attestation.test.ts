import {
  createMockKeyAttestationCa,
  DEFAULT_PACKAGE,
  DEFAULT_SIGNING_DIGEST,
  type MintKeyAttestationOptions,
  type MockKeyAttestationCa,
} from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixedStatusList,
  noStatusList,
  trustAnchorsFrom,
} from '../../src/attestation/android-key-attestation/index.js';
import {
  challengeFor,
  chatBody,
  device,
  deviceWithKey,
  FROZEN_NOW,
  outcome,
  send,
  startAttestedGateway,
  type AttestedGateway,
} from './gateway.js';

/**
 * Android key attestation end to end. The app's flow (docs/attestation.md): with its current
 * token it asks for a challenge, generates a new keystore key with that challenge as the
 * attestation challenge, has its token bound to that key (the new DPoP key), and registers the
 * key's chain with a proof signed by that key. The attested key must be the DPoP key.
 */
const YEAR = 365 * 86_400_000;
const REVOKED_SERIAL = '1dead0beef';

function androidSection(): Record<string, unknown> {
  return {
    packageNames: [DEFAULT_PACKAGE.name],
    signingCertDigests: [Buffer.from(DEFAULT_SIGNING_DIGEST).toString('hex')],
  };
}

describe('Android key attestation over HTTP', () => {
  let ca: MockKeyAttestationCa;
  let gw: AttestedGateway;
  let noList: AttestedGateway;

  beforeAll(async () => {
    ca = await createMockKeyAttestationCa({
      validity: { notBefore: new Date(FROZEN_NOW - YEAR), notAfter: new Date(FROZEN_NOW + YEAR) },
    });
    const attestation = {
      policy: { endpoints: { chat: 'required' } },
      androidKeyAttestation: androidSection(),
    };
    const anchors = trustAnchorsFrom([ca.rootDer]);
    gw = await startAttestedGateway({
      attestation,
      start: {
        roots: { androidKeyAttestation: anchors },
        statusList: fixedStatusList({ entries: new Map([[REVOKED_SERIAL, 'REVOKED']]) }),
      },
    });
    noList = await startAttestedGateway({
      issuer: gw.issuer,
      attestation,
      start: { roots: { androidKeyAttestation: anchors }, statusList: noStatusList },
    });
  });
  afterAll(async () => {
    await noList.close();
    await gw.close();
  });

  /** The app's flow; returns the new device (DPoP key = attested key) and the outcome. */
  async function attest(
    at: AttestedGateway,
    subject: string,
    options: {
      readonly mint?: MintKeyAttestationOptions;
      readonly challenge?: (issued: string) => string;
      /** Register with this device instead of the attested key's. */
      readonly registerAs?: Awaited<ReturnType<typeof device>>;
    } = {},
  ) {
    const current = await device(at.issuer, subject);
    const issued = await challengeFor(at, current);
    const minted = await ca.mint({
      challenge: new TextEncoder().encode(issued),
      ...options.mint,
    });
    const attested = await deviceWithKey(at.issuer, minted.leafKeys, subject);
    const chain = minted.chain.map((der) => Buffer.from(der).toString('base64'));
    const challenge = options.challenge?.(issued) ?? issued;
    const response = await send(
      at,
      options.registerAs ?? attested,
      'POST',
      '/attest/v1/android-key-attestation',
      { challenge, chain },
    );
    return { attested, current, result: await outcome(response) };
  }

  it('a registered keystore key that signs the DPoP proofs reaches /v1 under required', async () => {
    const { attested, current, result } = await attest(gw, 'android-ok');
    expect(result).toBe('201');
    expect(
      await outcome(await send(gw, attested, 'POST', '/v1/chat/completions', chatBody())),
    ).toBe('200');
    // The token of the key used before registration is not attested.
    expect(await outcome(await send(gw, current, 'POST', '/v1/chat/completions', chatBody()))).toBe(
      '403 attest.required',
    );
  });

  it('a chain for a key other than the caller’s DPoP key is refused attest.challenge_mismatch', async () => {
    const thief = await device(gw.issuer, 'android-lifted');
    const { result } = await attest(gw, 'android-lifted', { registerAs: thief });
    // The challenge is the subject's, the chain genuine; only the key differs.
    expect(result).toBe('403 attest.challenge_mismatch');
  });

  it("another user's challenge is refused attest.challenge_invalid", async () => {
    const alice = await device(gw.issuer, 'android-alice');
    const stolen = await challengeFor(gw, alice);
    const { result } = await attest(gw, 'android-mallory', { challenge: () => stolen });
    expect(result).toBe('403 attest.challenge_invalid');
  });

  it('a chain attesting another challenge is refused attest.challenge_mismatch', async () => {
    const { result } = await attest(gw, 'android-wrong-challenge', {
      mint: { challenge: new TextEncoder().encode('an older challenge') },
    });
    expect(result).toBe('403 attest.challenge_mismatch');
  });

  it('a chain with a revoked certificate is refused attest.certificate_revoked', async () => {
    const { result } = await attest(gw, 'android-revoked', {
      mint: { intermediateSerial: REVOKED_SERIAL },
    });
    expect(result).toBe('403 attest.certificate_revoked');
  });

  it('without a revocation list the registration is 503 attest.unavailable', async () => {
    const { result } = await attest(noList, 'android-no-list');
    expect(result).toBe('503 attest.unavailable');
  });

  it('a chain to another root is refused attest.chain_untrusted', async () => {
    const { result } = await attest(gw, 'android-foreign', { mint: { signedBy: 'other-root' } });
    expect(result).toBe('403 attest.chain_untrusted');
  });

  it('an expired leaf is refused attest.certificate_expired', async () => {
    const { result } = await attest(gw, 'android-expired', {
      mint: {
        leafValidity: {
          notBefore: new Date(FROZEN_NOW - YEAR),
          notAfter: new Date(FROZEN_NOW - 1000),
        },
      },
    });
    expect(result).toBe('403 attest.certificate_expired');
  });

  it('an unlocked bootloader or software keystore is refused attest.device_integrity', async () => {
    expect((await attest(gw, 'android-unlocked', { mint: { deviceLocked: false } })).result).toBe(
      '403 attest.device_integrity',
    );
    expect(
      (
        await attest(gw, 'android-software', {
          mint: { attestationSecurityLevel: 'software' },
        })
      ).result,
    ).toBe('403 attest.device_integrity');
  });

  it('another package is refused attest.app_mismatch', async () => {
    const { result } = await attest(gw, 'android-package', {
      mint: { packages: [{ name: 'com.attacker.clone', version: 1 }] },
    });
    expect(result).toBe('403 attest.app_mismatch');
  });

  it('a key forged below a genuine attested key is refused', async () => {
    const { result } = await attest(gw, 'android-forged', { mint: { extendBelowLeaf: true } });
    expect(result).toMatch(/^403 attest\./);
  });
});
