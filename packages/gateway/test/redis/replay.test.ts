import {
  createDpopKey,
  dpopProof,
  startMockIssuer,
  type DpopKey,
  type MockIssuer,
} from '@rampart/testkit';
import { isRampartError } from '@rampart/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import {
  createAuthenticator,
  RedisReplayCache,
  type Authenticator,
} from '../../src/pipeline/authenticate/index.js';
import { openRedis, type RedisConnection } from '../../src/redis/index.js';
import { describeWithRedis } from '../helpers/redis.js';

const PUBLIC_URL = 'https://ai.example.com';

describeWithRedis('DPoP replay cache in Redis', (url, prefix) => {
  let issuer: MockIssuer;
  let device: DpopKey;
  const connections: RedisConnection[] = [];
  beforeAll(async () => {
    issuer = await startMockIssuer();
    device = await createDpopKey();
  });
  afterAll(async () => {
    await issuer.close();
    for (const connection of connections) await connection.close();
  });

  const config = () =>
    validateConfig({
      server: { publicUrl: PUBLIC_URL },
      auth: {
        issuers: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: [issuer.audience] }],
      },
      redis: { url, keyPrefix: prefix },
    });

  /** A replica: its own connection to the shared Redis, its own authenticator. */
  async function replica(): Promise<{ auth: Authenticator; redis: RedisConnection }> {
    const c = config();
    const redis = await openRedis({ ...c.redis, url });
    connections.push(redis);
    const auth = createAuthenticator({ config: c, replay: new RedisReplayCache(redis.client) });
    if (auth === undefined) throw new Error('no authenticator');
    return { auth, redis };
  }

  async function request() {
    const token = await issuer.accessToken({}, { dpop: device });
    const proof = await dpopProof(device, {
      htm: 'GET',
      htu: `${PUBLIC_URL}/v1/models`,
      accessToken: token,
    });
    return {
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    };
  }

  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'accepted';
    } catch (error) {
      return isRampartError(error) ? error.code : String(error);
    }
  };

  it('two authenticators on one Redis refuse a proof replayed across them', async () => {
    const a = await replica();
    const b = await replica();
    const first = await request();
    await expect(a.auth.authenticate(first)).resolves.toMatchObject({ deviceJkt: device.jkt });
    expect(await codeOf(b.auth.authenticate(first))).toBe('auth.dpop_replayed');
    expect(await codeOf(a.auth.authenticate(first))).toBe('auth.dpop_replayed');
    // A fresh proof is fine at either.
    await expect(b.auth.authenticate(await request())).resolves.toBeDefined();
  });

  it('the same proof sent to two replicas at once is admitted by exactly one', async () => {
    const a = await replica();
    const b = await replica();
    const proof = await request();
    const outcomes = await Promise.all([
      codeOf(a.auth.authenticate(proof)),
      codeOf(b.auth.authenticate(proof)),
    ]);
    expect(outcomes.sort()).toEqual(['accepted', 'auth.dpop_replayed']);
  });

  it('keys carry the prefix and expire when the proof window closes', async () => {
    const a = await replica();
    await a.auth.authenticate(await request());
    const raw = new Redis(url);
    try {
      const [, keys] = await raw.scan('0', 'MATCH', `${prefix}dpop:jti:*`, 'COUNT', 1000);
      expect(keys.length).toBeGreaterThan(0);
      const ttl = await raw.pttl(keys[0] ?? '');
      // maxAgeSeconds (60) plus twice the issuer's skew (30): at most 120 s.
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120_000);
    } finally {
      raw.disconnect();
    }
  });

  it('with Redis unreachable a proof is refused (503 auth.replay_cache_unavailable), never admitted', async () => {
    const a = await replica();
    await a.redis.close();
    expect(await codeOf(a.auth.authenticate(await request()))).toBe(
      'auth.replay_cache_unavailable',
    );
  });
});
