import { afterAll, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { BruteForceGuard, redisLimiters } from '../../src/identity/accounts/throttle.js';
import { openRedis, type RedisConnection } from '../../src/redis/index.js';
import { describeWithRedis } from '../helpers/redis.js';

describeWithRedis('brute-force counters in Redis', (url, prefix) => {
  const connections: RedisConnection[] = [];
  afterAll(async () => {
    for (const connection of connections) await connection.close();
  });

  const policy = validateConfig({
    accounts: { bruteForce: { accountMaxFailures: 3, ipMaxFailures: 1000 } },
  }).accounts.bruteForce;

  /** A replica: its own connection to the shared Redis and its own guard. */
  async function replica(): Promise<BruteForceGuard> {
    const redis = await openRedis({ ...validateConfig({}).redis, url, keyPrefix: prefix });
    connections.push(redis);
    return new BruteForceGuard(redisLimiters(redis.client), policy, 'pwd');
  }

  it('guesses spread over two replicas meet one account budget', async () => {
    const a = await replica();
    const b = await replica();
    const account = `user-${Math.random().toString(36).slice(2)}`;
    // Three failures, alternating replicas and IPs: each reservation is kept (a failure).
    expect((await a.reserve(account, '198.51.100.1')).ok).toBe(true);
    expect((await b.reserve(account, '198.51.100.2')).ok).toBe(true);
    expect((await a.reserve(account, '198.51.100.3')).ok).toBe(true);
    // The fourth is refused at either replica, from a fresh IP, before anything is checked.
    const refused = await b.reserve(account, '203.0.113.9');
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect((await a.reserve(account, '203.0.113.10')).ok).toBe(false);
  });

  it('a success at one replica clears the count the other sees', async () => {
    const a = await replica();
    const b = await replica();
    const account = `user-${Math.random().toString(36).slice(2)}`;
    expect((await a.reserve(account, '198.51.100.1')).ok).toBe(true);
    expect((await a.reserve(account, '198.51.100.1')).ok).toBe(true);
    const success = await b.reserve(account, '198.51.100.1');
    if (!success.ok) throw new Error('expected a reservation');
    await success.succeeded();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await a.reserve(account, '198.51.100.1')).ok).toBe(true);
    }
    expect((await b.reserve(account, '198.51.100.1')).ok).toBe(false);
  });

  it('a Redis that cannot answer fails the attempt closed', async () => {
    const guard = await replica();
    const connection = connections.at(-1);
    await connection?.close();
    await expect(guard.reserve('someone', '198.51.100.1')).rejects.toThrow();
  });
});
