import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCredentials, type Credentials } from '@rampart/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceKeyRepository } from '../../identity/service-keys/index.js';
import type { RedisConnection } from '../../redis/index.js';
import { openStore } from '../../store/index.js';
import { gatewayStages } from '../index.js';
import { chatBody, pipelineApp, type PipelineTestApp } from '../pipeline.test-helpers.js';
import { CHAT, PUBLIC_URL, decisions, perUser, send } from './meter.test-helpers.js';

/*
 * The meter when its counter store cannot answer (fail closed or open, as each limit says), and
 * service keys, which have no device. Authentication on (testkit credentials).
 */

let alice: Credentials;
beforeAll(async () => {
  alice = await createCredentials({ publicUrl: PUBLIC_URL, roles: ['tester'] });
});
afterAll(() => alice.close());

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

describe('service keys', () => {
  it('a device limit counts every service key under the placeholder device, never skipping them', async () => {
    const store = await openStore({
      url: undefined,
      dataDir: mkdtempSync(join(tmpdir(), 'rampart-meter-')),
    });
    try {
      const keys = new ServiceKeyRepository(store.db);
      const mint = async (name: string) =>
        (
          await keys.create({
            name,
            tenant: 'tenant-a',
            roles: ['tester'],
            aliases: undefined,
            createdAt: Date.now(),
            expiresAt: Date.now() + 86_400_000,
            createdBy: 'test',
          })
        ).key;
      const [one, two] = [await mint('job one'), await mint('job two')];
      t = pipelineApp({
        credentials: alice,
        config: {
          auth: { serviceKeys: { enabled: true } },
          meter: {
            limits: [{ name: 'per-device', key: ['device'], requests: 2, windowSeconds: 60 }],
          },
        },
        stages: (deps) => gatewayStages({ ...deps, serviceKeys: keys }),
      });
      const app = t;
      const go = (key: string) =>
        app.app.inject({
          method: 'POST',
          url: CHAT,
          headers: { authorization: `Bearer ${key}` },
          payload: chatBody(),
        });
      expect((await go(one)).statusCode).toBe(200);
      expect((await go(two)).statusCode).toBe(200);
      expect((await go(one)).statusCode).toBe(429);
      // A DPoP-bound caller has a device of its own, untouched by the service keys' count.
      expect((await send(app, alice)).statusCode).toBe(200);
    } finally {
      await t?.app.close();
      t = undefined;
      await store.close();
    }
  });
});

describe('a counter store that cannot answer', () => {
  /** A Redis client that never connected (no offline queue): every command fails at once. */
  function unreachableRedis(): RedisConnection {
    const client = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // A command on a lazy client still tries to connect once; its refusal is expected here.
    client.on('error', () => undefined);
    return {
      client,
      prefix: 'rampart:',
      describe: 'redis 127.0.0.1:1/0',
      subscriber: () => {
        throw new Error('unused');
      },
      ping: () => Promise.reject(new Error('down')),
      close: () => Promise.resolve(client.disconnect()),
    };
  }

  async function appOn(limits: readonly Record<string, unknown>[]) {
    await t?.app.close();
    const redis = unreachableRedis();
    t = pipelineApp({
      credentials: alice,
      config: { meter: { limits } },
      stages: (deps) => gatewayStages({ ...deps, redis }),
    });
    return t;
  }

  it('fails a limit closed with 503 meter.unavailable, windows and stream slots alike', async () => {
    const app = await appOn([perUser, { name: 'streams', key: ['subject'], concurrentStreams: 1 }]);
    const refused = await send(app, alice);
    expect(refused.statusCode).toBe(503);
    expect(refused.json<Record<string, unknown>>()).toMatchObject({ code: 'meter.unavailable' });
    expect((await decisions(app))['per-user/unavailable']).toBe(1);
    const streams = await appOn([{ name: 'streams', key: ['subject'], concurrentStreams: 1 }]);
    const stream = await send(streams, alice, { body: chatBody({ stream: true }) });
    expect(stream.statusCode).toBe(503);
  });

  it('admits through a failOpen limit, logged at warn and counted, while a closed one still refuses', async () => {
    const app = await appOn([{ ...perUser, failOpen: true }]);
    const admitted = await send(app, alice);
    expect(admitted.statusCode).toBe(200);
    expect(admitted.headers['ratelimit']).toBeUndefined();
    expect((await decisions(app))['per-user/fail_open']).toBe(1);
    const line = app
      .logs()
      .split('\n')
      .find((entry) => entry.includes('fails open'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 40,
      limit: 'per-user',
      failOpen: true,
    });
    expect(line).not.toContain('user-1');

    const mixed = await appOn([
      { ...perUser, failOpen: true },
      { name: 'strict', key: ['ip'], requests: 100, windowSeconds: 60 },
    ]);
    expect((await send(mixed, alice)).statusCode).toBe(503);
  });
});
