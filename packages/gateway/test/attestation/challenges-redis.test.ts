import {
  createPlayIntegrityKeys,
  startMockIssuer,
  type MockIssuer,
  type PlayIntegrityTestKeys,
} from '@rampart/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithRedis } from '../helpers/redis.js';
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
 * Two gateways sharing Redis (`redis.url`): a challenge issued by one replica is accepted by
 * the other exactly once, and the same challenge presented to both at once succeeds once.
 */
describeWithRedis('attestation challenges shared through Redis', (url, prefix) => {
  let keys: PlayIntegrityTestKeys;
  let issuer: MockIssuer;
  let a: AttestedGateway;
  let b: AttestedGateway;

  beforeAll(async () => {
    keys = await createPlayIntegrityKeys();
    issuer = await startMockIssuer();
    const replica = () =>
      startAttestedGateway({
        issuer,
        attestation: {
          policy: { endpoints: { chat: 'required' } },
          playIntegrity: playIntegritySection(),
        },
        config: { redis: { url, keyPrefix: prefix } },
        env: playIntegrityEnv(keys),
      });
    a = await replica();
    b = await replica();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await issuer.close();
  });

  async function spend(at: AttestedGateway, from: Device, challenge: string): Promise<string> {
    const token = await playIntegrityToken(keys, challenge, at.clock.now);
    return outcome(await send(at, from, 'POST', '/attest/v1/play-integrity', { challenge, token }));
  }

  it('a challenge issued by one replica is accepted once by the other, then by neither', async () => {
    const phone = await device(issuer, 'across');
    const challenge = await challengeFor(a, phone);
    expect(await spend(b, phone, challenge)).toBe('201');
    expect(await spend(b, phone, challenge)).toBe('403 attest.challenge_invalid');
    expect(await spend(a, phone, challenge)).toBe('403 attest.challenge_invalid');
  });

  it('the same challenge sent to both replicas at once is accepted by exactly one', async () => {
    const phone = await device(issuer, 'race');
    for (let round = 0; round < 5; round++) {
      const challenge = await challengeFor(a, phone);
      const outcomes = await Promise.all([spend(a, phone, challenge), spend(b, phone, challenge)]);
      expect(outcomes.sort()).toEqual(['201', '403 attest.challenge_invalid']);
    }
  });

  it("a replica refuses another device's challenge issued by the other replica", async () => {
    const mine = await device(issuer, 'owner');
    const thief = await device(issuer, 'thief');
    const challenge = await challengeFor(a, mine);
    expect(await spend(b, thief, challenge)).toBe('403 attest.challenge_invalid');
    expect(await spend(a, mine, challenge)).toBe('403 attest.challenge_invalid');
  });
});
