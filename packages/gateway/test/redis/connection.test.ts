import { isRampartError } from '@rampart/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/index.js';
import { createLogger, scrubSecrets } from '../../src/logging.js';
import { createMetrics } from '../../src/monitor/metrics.js';
import { createModelRouter } from '../../src/pipeline/parse/router.js';
import { openRedis, type RedisConnection } from '../../src/redis/index.js';
import { describeWithRedis } from '../helpers/redis.js';

const PASSWORD = 'hunter2-not-for-logs';

describe('redis.url', () => {
  it('accepts redis:// and rediss:// and refuses anything else without echoing the value', () => {
    expect(validateConfig({ redis: { url: 'redis://127.0.0.1:6379/2' } }).redis.url).toBe(
      'redis://127.0.0.1:6379/2',
    );
    expect(validateConfig({ redis: { url: 'rediss://cache.example.com' } }).redis.keyPrefix).toBe(
      'rampart:',
    );
    let message = '';
    try {
      validateConfig({ redis: { url: `http://user:${PASSWORD}@cache` } });
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toContain('redis.url');
    expect(message).not.toContain(PASSWORD);
  });

  it('an unreachable Redis refuses the start with redis.unavailable, naming no password', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const url = `redis://:${PASSWORD}@127.0.0.1:1/0`;
    const config = validateConfig({ redis: { url, connectTimeoutMs: 500 } });
    const lines: string[] = [];
    const logger = {
      warn: (fields: object, message: string) => lines.push(message + JSON.stringify(fields)),
      info: (fields: object, message: string) => lines.push(message + JSON.stringify(fields)),
    };
    const failure = await openRedis({ ...config.redis, url }, logger).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isRampartError(failure) && failure.code).toBe('redis.unavailable');
    expect(String((failure as Error).message)).toContain('redis 127.0.0.1:1/0');
    expect(String((failure as Error).message)).not.toContain(PASSWORD);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('the logger scrubs the password of a Redis URL', () => {
    expect(scrubSecrets(`connect to redis://:${PASSWORD}@host:6379 failed`)).toBe(
      'connect to redis://:[REDACTED]@host:6379 failed',
    );
    expect(scrubSecrets(`rediss://default:${PASSWORD}@host`)).not.toContain(PASSWORD);
  });
});

describeWithRedis('Redis in /readyz', (url, prefix) => {
  const opened: RedisConnection[] = [];
  afterAll(async () => {
    for (const connection of opened) await connection.close();
  });

  function app(redis: RedisConnection) {
    return buildApp({
      config: validateConfig({ auth: { mode: 'none' }, redis: { url, keyPrefix: prefix } }),
      logger: createLogger('silent'),
      router: createModelRouter([]),
      metrics: createMetrics({ defaultMetrics: false }),
      usage: { add: () => undefined },
      pingDatabase: () => Promise.resolve(),
      pingRedis: () => redis.ping(),
      shutdown: new AbortController().signal,
      isDraining: () => false,
    });
  }

  it('reports Redis ready while it answers and not ready once the connection is gone', async () => {
    const config = validateConfig({ redis: { url, keyPrefix: prefix } });
    const redis = await openRedis({ ...config.redis, url });
    opened.push(redis);
    const server = app(redis);
    const ready = await server.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });

    await redis.close();
    const notReady = await server.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({
      code: 'server.not_ready',
      detail: 'Redis is not reachable.',
      checks: { database: 'ok', redis: 'failing' },
    });
    await server.close();
  });

  it('keys written through the connection carry redis.keyPrefix', async () => {
    const config = validateConfig({ redis: { url, keyPrefix: prefix } });
    const redis = await openRedis({ ...config.redis, url });
    opened.push(redis);
    await redis.client.set('probe', '1', 'PX', 60_000);
    const other = await openRedis({ ...config.redis, url, keyPrefix: 'rampart-test-none:' });
    opened.push(other);
    expect(await other.client.get('probe')).toBeNull();
    const bare = new Redis(url);
    try {
      expect(await bare.get(`${prefix}probe`)).toBe('1');
    } finally {
      bare.disconnect();
    }
  });
});
