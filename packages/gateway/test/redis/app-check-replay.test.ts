import { startMockAppCheck, type MockAppCheck } from '@rampart/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createAppCheckVerifier,
  type AppCheckVerifier,
} from '../../src/attestation/firebase-app-check/index.js';
import { validateConfig } from '../../src/config/index.js';
import { RedisReplayCache } from '../../src/pipeline/authenticate/index.js';
import { openRedis, type RedisConnection } from '../../src/redis/index.js';
import { describeWithRedis } from '../helpers/redis.js';

const NOW_S = 1_800_000_000;

describeWithRedis('App Check replay protection in Redis', (url, prefix) => {
  let firebase: MockAppCheck;
  const connections: RedisConnection[] = [];
  beforeAll(async () => {
    firebase = await startMockAppCheck();
  });
  afterAll(async () => {
    await firebase.close();
    for (const connection of connections) await connection.close();
  });

  /** A replica: its own connection to the shared Redis, its own verifier. */
  async function replica(): Promise<{ verifier: AppCheckVerifier; redis: RedisConnection }> {
    const config = validateConfig({ redis: { url, keyPrefix: prefix } });
    const redis = await openRedis({ ...config.redis, url });
    connections.push(redis);
    const verifier = createAppCheckVerifier({
      projectNumber: firebase.projectNumber,
      appIds: [firebase.appId],
      jwksUri: firebase.jwksUri,
      now: () => NOW_S * 1000,
      replay: new RedisReplayCache(redis.client, 'appcheck:jti'),
    });
    return { verifier, redis };
  }

  const outcomeOf = async (verifier: AppCheckVerifier, token: string) => {
    const result = await verifier.verify(token);
    return result.outcome === 'valid' ? 'valid' : `${result.outcome}:${result.reason}`;
  };

  it('a token accepted by one replica is refused as replayed by another', async () => {
    const a = await replica();
    const b = await replica();
    const token = await firebase.token({}, { now: NOW_S });
    expect(await outcomeOf(a.verifier, token)).toBe('valid');
    expect(await outcomeOf(b.verifier, token)).toBe('invalid:replayed');
    expect(await outcomeOf(a.verifier, token)).toBe('invalid:replayed');
    expect(await outcomeOf(b.verifier, await firebase.token({}, { now: NOW_S }))).toBe('valid');
  });

  it('the same token sent to two replicas at once is accepted by exactly one', async () => {
    const a = await replica();
    const b = await replica();
    const token = await firebase.token({}, { now: NOW_S });
    const outcomes = await Promise.all([
      outcomeOf(a.verifier, token),
      outcomeOf(b.verifier, token),
    ]);
    expect(outcomes.sort()).toEqual(['invalid:replayed', 'valid']);
  });

  it('keys carry the prefix and the App Check namespace, apart from DPoP ids', async () => {
    const a = await replica();
    await a.verifier.verify(await firebase.token({}, { now: NOW_S }));
    const raw = new Redis(url);
    try {
      const [, keys] = await raw.scan('0', 'MATCH', `${prefix}appcheck:jti:*`, 'COUNT', 1000);
      expect(keys.length).toBeGreaterThan(0);
      const [, dpop] = await raw.scan('0', 'MATCH', `${prefix}dpop:jti:*`, 'COUNT', 1000);
      expect(dpop).toEqual([]);
    } finally {
      raw.disconnect();
    }
  });

  it('with Redis unreachable a token is indeterminate, never accepted', async () => {
    const a = await replica();
    // Fetch the key set first, so that the only thing missing afterwards is Redis.
    expect(await outcomeOf(a.verifier, await firebase.token({}, { now: NOW_S }))).toBe('valid');
    await a.redis.close();
    expect(await outcomeOf(a.verifier, await firebase.token({}, { now: NOW_S }))).toBe(
      'indeterminate:replay_store_unavailable',
    );
  });
});
