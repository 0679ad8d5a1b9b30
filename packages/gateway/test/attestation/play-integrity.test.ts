import {
  PLAY_INTEGRITY_EXAMPLE,
  createPlayIntegrityKeys,
  examplePlayIntegrityVerdict,
  mintPlayIntegrityToken,
  type PlayIntegrityTestKeys,
  type PlayIntegrityVerdictJson,
} from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  challengeFor,
  chatBody,
  device,
  outcome,
  send,
  startAttestedGateway,
  type AttestedGateway,
  type Device,
} from './gateway.js';

/**
 * Play Integrity end to end: the app asks for a challenge, passes it as the nonce of a classic
 * integrity request, posts the verdict token to `/attest/v1/play-integrity`, and its device key
 * then counts as attested on `/v1` for `attestedTtlSeconds`.
 */
const TTL_SECONDS = 600;

describe('Play Integrity registration and the required policy', () => {
  let keys: PlayIntegrityTestKeys;
  let gw: AttestedGateway;

  beforeAll(async () => {
    keys = await createPlayIntegrityKeys();
    gw = await startAttestedGateway({
      attestation: {
        attestedTtlSeconds: TTL_SECONDS,
        policy: { endpoints: { chat: 'required' } },
        playIntegrity: {
          packageName: PLAY_INTEGRITY_EXAMPLE.packageName,
          decryptionKeyEnv: 'PI_DECRYPTION_KEY',
          verificationKeyEnv: 'PI_VERIFICATION_KEY',
        },
      },
      env: { PI_DECRYPTION_KEY: keys.decryptionKey, PI_VERIFICATION_KEY: keys.verificationKey },
    });
  });
  afterAll(() => gw.close());

  /** Google's documented example verdict, bound to `nonce` and dated at the gateway's clock. */
  function verdictFor(nonce: string): PlayIntegrityVerdictJson {
    const verdict = examplePlayIntegrityVerdict('classic');
    verdict.requestDetails.nonce = nonce;
    verdict.requestDetails.timestampMillis = String(gw.clock.now);
    return verdict;
  }

  async function register(from: Device, token: string, challenge: string) {
    return send(gw, from, 'POST', '/attest/v1/play-integrity', { challenge, token });
  }

  async function registerWith(
    from: Device,
    change: (verdict: PlayIntegrityVerdictJson) => void = () => undefined,
  ): Promise<Response> {
    const challenge = await challengeFor(gw, from);
    const verdict = verdictFor(challenge);
    change(verdict);
    return register(from, await mintPlayIntegrityToken(keys, verdict), challenge);
  }

  it('refuses /v1 with 403 attest.required to a device key that never registered', async () => {
    const phone = await device(gw.issuer, 'never-registered');
    expect(await outcome(await send(gw, phone, 'POST', '/v1/chat/completions', chatBody()))).toBe(
      '403 attest.required',
    );
    expect(gw.mock.requests.length).toBe(0);
  });

  it('a verdict carrying another nonce than the challenge is refused attest.challenge_mismatch', async () => {
    const phone = await device(gw.issuer, 'nonce');
    const response = await registerWith(phone, (verdict) => {
      verdict.requestDetails.nonce = 'aGVsbG8gd29scmQgdGhlcmU';
    });
    expect(await outcome(response)).toBe('403 attest.challenge_mismatch');
  });

  it('a verdict for another package is refused attest.app_mismatch', async () => {
    const phone = await device(gw.issuer, 'package');
    const response = await registerWith(phone, (verdict) => {
      verdict.requestDetails.requestPackageName = 'com.attacker.clone';
      verdict.appIntegrity.packageName = 'com.attacker.clone';
    });
    expect(await outcome(response)).toBe('403 attest.app_mismatch');
  });

  it('a device with only basic integrity is refused attest.device_integrity', async () => {
    const phone = await device(gw.issuer, 'basic');
    const response = await registerWith(phone, (verdict) => {
      verdict.deviceIntegrity.deviceRecognitionVerdict = ['MEETS_BASIC_INTEGRITY'];
    });
    expect(await outcome(response)).toBe('403 attest.device_integrity');
  });

  it('an unlicensed install is refused attest.device_integrity', async () => {
    const phone = await device(gw.issuer, 'unlicensed');
    const response = await registerWith(phone, (verdict) => {
      verdict.accountDetails.appLicensingVerdict = 'UNLICENSED';
    });
    expect(await outcome(response)).toBe('403 attest.device_integrity');
  });

  it('a stale verdict is refused attest.stale', async () => {
    const phone = await device(gw.issuer, 'stale');
    const response = await registerWith(phone, (verdict) => {
      verdict.requestDetails.timestampMillis = String(gw.clock.now - 60 * 60 * 1000);
    });
    expect(await outcome(response)).toBe('403 attest.stale');
  });

  it('a token encrypted under another key is refused attest.signature_invalid', async () => {
    const phone = await device(gw.issuer, 'foreign-key');
    const challenge = await challengeFor(gw, phone);
    const token = await mintPlayIntegrityToken(keys, verdictFor(challenge), {
      encryptWith: new Uint8Array(32).fill(7),
    });
    expect(await outcome(await register(phone, token, challenge))).toBe(
      '403 attest.signature_invalid',
    );
  });

  it('a refused verdict spends its challenge: a good token cannot reuse it', async () => {
    const phone = await device(gw.issuer, 'spent');
    const challenge = await challengeFor(gw, phone);
    const bad = verdictFor(challenge);
    bad.accountDetails.appLicensingVerdict = 'UNLICENSED';
    await outcome(await register(phone, await mintPlayIntegrityToken(keys, bad), challenge));
    const good = await mintPlayIntegrityToken(keys, verdictFor(challenge));
    expect(await outcome(await register(phone, good, challenge))).toBe(
      '403 attest.challenge_invalid',
    );
  });

  it('a registered device key reaches /v1 under required; another key of the same user does not', async () => {
    const phone = await device(gw.issuer, 'registered');
    const registration = await registerWith(phone);
    expect(registration.status).toBe(201);
    const body = (await registration.json()) as { platform: string; attestedUntil: string };
    expect(body.platform).toBe('play-integrity');
    expect(Date.parse(body.attestedUntil)).toBe(gw.clock.now + TTL_SECONDS * 1000);

    const before = gw.mock.requests.length;
    expect(await outcome(await send(gw, phone, 'POST', '/v1/chat/completions', chatBody()))).toBe(
      '200',
    );
    expect(gw.mock.requests.length).toBe(before + 1);

    // Same user, a token lifted onto another device key: nothing is recorded for that key.
    const other = await device(gw.issuer, 'registered');
    expect(await outcome(await send(gw, other, 'POST', '/v1/chat/completions', chatBody()))).toBe(
      '403 attest.required',
    );
  });

  it('a registration holds for attestedTtlSeconds and no longer', async () => {
    const start = gw.clock.now;
    try {
      const phone = await device(gw.issuer, 'expiring');
      expect((await registerWith(phone)).status).toBe(201);
      gw.clock.now = start + TTL_SECONDS * 1000 - 1;
      expect(await outcome(await send(gw, phone, 'POST', '/v1/chat/completions', chatBody()))).toBe(
        '200',
      );
      gw.clock.now = start + TTL_SECONDS * 1000;
      expect(await outcome(await send(gw, phone, 'POST', '/v1/chat/completions', chatBody()))).toBe(
        '403 attest.required',
      );
    } finally {
      gw.clock.now = start;
    }
  });
});
