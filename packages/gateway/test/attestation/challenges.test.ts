import { createPlayIntegrityKeys, type PlayIntegrityTestKeys } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  challengeFor,
  device,
  outcome,
  send,
  startAttestedGateway,
  type AttestedGateway,
  type Device,
} from './gateway.js';
import { playIntegrityEnv, playIntegritySection, playIntegrityToken } from './play.js';

/**
 * Challenges of `POST /attest/v1/challenges` in one process (the memory store): single use,
 * short-lived, bound to the subject and device key that asked, and only for DPoP-bound callers.
 * Each is spent through a Play Integrity registration carrying a verdict Google would return.
 */
const CHALLENGE_TTL_SECONDS = 60;

describe('attestation challenges (memory store)', () => {
  let keys: PlayIntegrityTestKeys;
  let gw: AttestedGateway;

  beforeAll(async () => {
    keys = await createPlayIntegrityKeys();
    gw = await startAttestedGateway({
      attestation: {
        challengeTtlSeconds: CHALLENGE_TTL_SECONDS,
        policy: { endpoints: { chat: 'required' } },
        playIntegrity: playIntegritySection(),
      },
      env: playIntegrityEnv(keys),
    });
  });
  afterAll(() => gw.close());

  async function spend(from: Device, challenge: string): Promise<string> {
    const token = await playIntegrityToken(keys, challenge, gw.clock.now);
    return outcome(await send(gw, from, 'POST', '/attest/v1/play-integrity', { challenge, token }));
  }

  it('is issued with its lifetime, uncacheable, 43 base64url characters', async () => {
    const phone = await device(gw.issuer, 'shape');
    const response = await send(gw, phone, 'POST', '/attest/v1/challenges');
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { challenge: string; expiresIn: number };
    expect(body.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.expiresIn).toBe(CHALLENGE_TTL_SECONDS);
  });

  it('is single use: a second registration with the same challenge is refused', async () => {
    const phone = await device(gw.issuer, 'twice');
    const challenge = await challengeFor(gw, phone);
    expect(await spend(phone, challenge)).toBe('201');
    expect(await spend(phone, challenge)).toBe('403 attest.challenge_invalid');
  });

  it('expires after challengeTtlSeconds', async () => {
    const start = gw.clock.now;
    try {
      const phone = await device(gw.issuer, 'late');
      const challenge = await challengeFor(gw, phone);
      gw.clock.now = start + CHALLENGE_TTL_SECONDS * 1000;
      expect(await spend(phone, challenge)).toBe('403 attest.challenge_invalid');
    } finally {
      gw.clock.now = start;
    }
  });

  it('is still good just before it expires', async () => {
    const start = gw.clock.now;
    try {
      const phone = await device(gw.issuer, 'just-in-time');
      const challenge = await challengeFor(gw, phone);
      gw.clock.now = start + CHALLENGE_TTL_SECONDS * 1000 - 1;
      expect(await spend(phone, challenge)).toBe('201');
    } finally {
      gw.clock.now = start;
    }
  });

  it("another device of the same user cannot spend a device's challenge", async () => {
    const mine = await device(gw.issuer, 'alice');
    const other = await device(gw.issuer, 'alice');
    const challenge = await challengeFor(gw, mine);
    expect(await spend(other, challenge)).toBe('403 attest.challenge_invalid');
    // The attempt burned it: the owner must ask again.
    expect(await spend(mine, challenge)).toBe('403 attest.challenge_invalid');
  });

  it("another user cannot spend a user's challenge", async () => {
    const alice = await device(gw.issuer, 'alice-2');
    const mallory = await device(gw.issuer, 'mallory');
    const challenge = await challengeFor(gw, alice);
    expect(await spend(mallory, challenge)).toBe('403 attest.challenge_invalid');
  });

  it('another tenant with the same subject cannot spend it', async () => {
    const here = await device(gw.issuer, 'same-sub', 'tenant-a');
    const there = await device(gw.issuer, 'same-sub', 'tenant-b');
    const challenge = await challengeFor(gw, here);
    expect(await spend(there, challenge)).toBe('403 attest.challenge_invalid');
  });

  it('a challenge the gateway never issued is refused', async () => {
    const phone = await device(gw.issuer, 'guess');
    expect(await spend(phone, 'A'.repeat(43))).toBe('403 attest.challenge_invalid');
    expect(await spend(phone, 'not a challenge')).toBe('403 attest.challenge_invalid');
  });

  it('is refused attest.device_key_required to a plain bearer token', async () => {
    const phone = await device(gw.issuer, 'bearer');
    const response = await fetch(`${gw.url}/attest/v1/challenges`, {
      method: 'POST',
      headers: { authorization: await phone.bearer() },
    });
    expect(await outcome(response)).toBe('403 attest.device_key_required');
  });

  it('is refused to an unauthenticated caller', async () => {
    const response = await fetch(`${gw.url}/attest/v1/challenges`, { method: 'POST' });
    expect(await outcome(response)).toBe('401 auth.token_missing');
  });

  it('registration at a platform this gateway does not verify is 404 attest.platform_not_configured', async () => {
    const phone = await device(gw.issuer, 'platform');
    for (const platform of [
      'apple-app-attest',
      'android-key-attestation',
      'firebase-app-check',
      'nope',
    ]) {
      const response = await send(gw, phone, 'POST', `/attest/v1/${platform}`, {});
      expect(await outcome(response)).toBe('404 attest.platform_not_configured');
    }
  });
});
