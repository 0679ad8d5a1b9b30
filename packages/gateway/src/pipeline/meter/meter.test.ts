import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCredentials, type Credentials } from '@rampart/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { ServiceKeyRepository } from '../../identity/service-keys/index.js';
import type { RedisConnection } from '../../redis/index.js';
import { openStore } from '../../store/index.js';
import { gatewayStages } from '../index.js';
import {
  chatBody,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';

/*
 * The meter stage in the gateway's own stage list, authentication on (testkit credentials
 * verified by the real authenticate stage), counters in memory. Redis: test/meter/.
 */

const PUBLIC_URL = 'https://rampart.test';
const CHAT = '/v1/chat/completions';
const EMBED = '/v1/embeddings';

let alice: Credentials;
let alicePhone: Credentials;
let bob: Credentials;
let freeUser: Credentials;
beforeAll(async () => {
  alice = await createCredentials({ publicUrl: PUBLIC_URL, roles: ['tester'] });
  const issuer = alice.issuer;
  // Same person, second device: another DPoP key, so another `device`.
  alicePhone = await createCredentials({ publicUrl: PUBLIC_URL, issuer, roles: ['tester'] });
  bob = await createCredentials({
    publicUrl: PUBLIC_URL,
    issuer,
    subject: 'user-2',
    roles: ['tester'],
  });
  freeUser = await createCredentials({
    publicUrl: PUBLIC_URL,
    issuer,
    subject: 'user-3',
    roles: ['tester', 'free'],
  });
});
afterAll(() => alice.close());

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

function meterApp(limits: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  t = pipelineApp({ credentials: alice, config: { meter: { limits }, ...extra } });
  return t;
}

async function send(
  app: PipelineTestApp,
  who: Credentials,
  options: { url?: string; body?: Record<string, unknown>; ip?: string } = {},
): Promise<LightMyRequestResponse> {
  const url = options.url ?? CHAT;
  return app.app.inject({
    method: 'POST',
    url,
    headers: await who.headers('POST', url),
    payload: options.body ?? (url === EMBED ? { model: 'embed', input: 'hi' } : chatBody()),
    ...(options.ip === undefined ? {} : { remoteAddress: options.ip }),
  });
}

async function statuses(
  app: PipelineTestApp,
  who: Credentials,
  count: number,
  options: Parameters<typeof send>[2] = {},
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send(app, who, options)).statusCode);
  return out;
}

async function decisions(app: PipelineTestApp): Promise<Record<string, number>> {
  const metric = app.metrics.registry.getSingleMetric('rampart_meter_decisions_total');
  const out: Record<string, number> = {};
  for (const value of (await metric?.get())?.values ?? []) {
    out[`${String(value.labels['limit'])}/${String(value.labels['outcome'])}`] = value.value;
  }
  return out;
}

const perUser = { name: 'per-user', key: ['subject'], requests: 3, windowSeconds: 60 };

describe('request windows', () => {
  it('a subject over its window is refused, and another subject is not held back by it', async () => {
    const app = meterApp([perUser]);
    expect(await statuses(app, alice, 5)).toEqual([200, 200, 200, 429, 429]);
    // A second device of the same subject shares the subject's window.
    expect(await statuses(app, alicePhone, 1)).toEqual([429]);
    expect(await statuses(app, bob, 3)).toEqual([200, 200, 200]);
  });

  it('a device limit counts each device apart, even for one subject', async () => {
    const app = meterApp([{ name: 'per-device', key: ['device'], requests: 2, windowSeconds: 60 }]);
    expect(await statuses(app, alice, 3)).toEqual([200, 200, 429]);
    expect(await statuses(app, alicePhone, 3)).toEqual([200, 200, 429]);
  });

  it('an IP limit counts every caller behind one address together', async () => {
    const app = meterApp([{ name: 'per-ip', key: ['ip'], requests: 2, windowSeconds: 60 }]);
    expect(await statuses(app, alice, 1, { ip: '203.0.113.7' })).toEqual([200]);
    expect(await statuses(app, bob, 2, { ip: '203.0.113.7' })).toEqual([200, 429]);
    expect(await statuses(app, bob, 1, { ip: '203.0.113.8' })).toEqual([200]);
  });

  it('an alias limit counts each model apart, and an aliases filter leaves other models alone', async () => {
    const app = meterApp([
      { name: 'per-model', key: ['subject', 'alias'], requests: 1, windowSeconds: 60 },
      { name: 'chat-only', key: ['ip'], requests: 2, windowSeconds: 60, aliases: ['chat'] },
    ]);
    expect(await statuses(app, alice, 2)).toEqual([200, 429]);
    expect(await statuses(app, alice, 2, { url: EMBED })).toEqual([200, 429]);
    // chat-only has seen two chat requests (one refused by per-model, counted all the same).
    expect(await statuses(app, bob, 1)).toEqual([429]);
    expect((await send(app, bob, { url: EMBED })).statusCode).toBe(200);
  });

  it('a limit for a role binds its holders only', async () => {
    const app = meterApp([
      { name: 'free-tier', key: ['subject'], requests: 1, windowSeconds: 60, roles: ['free'] },
    ]);
    expect(await statuses(app, freeUser, 2)).toEqual([200, 429]);
    expect(await statuses(app, alice, 3)).toEqual([200, 200, 200]);
  });

  it('a limit for unattested callers binds requests without attestation; one for attested callers does not', async () => {
    const app = meterApp([
      {
        name: 'attested',
        key: ['subject'],
        requests: 1,
        windowSeconds: 60,
        attestation: 'attested',
      },
      {
        name: 'unattested',
        key: ['subject'],
        requests: 2,
        windowSeconds: 60,
        attestation: 'unattested',
      },
    ]);
    const first = await send(app, alice);
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit']).toBe('"unattested";r=1;t=60');
    expect(await statuses(app, alice, 2)).toEqual([200, 429]);
    const counted = await decisions(app);
    expect(counted['attested/allowed']).toBe(0);
    expect(counted['unattested/allowed']).toBe(2);
    expect(counted['unattested/limited']).toBe(1);
  });

  it('models listings are not metered', async () => {
    const app = meterApp([{ ...perUser, requests: 1 }]);
    for (let i = 0; i < 3; i++) {
      const response = await app.app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: await alice.headers('GET', '/v1/models'),
      });
      expect(response.statusCode).toBe(200);
    }
    expect(await statuses(app, alice, 2)).toEqual([200, 429]);
  });
});

describe('answers', () => {
  it('a refusal is 429 problem+json with its code, the limit, Retry-After and the RateLimit headers', async () => {
    const app = meterApp([{ ...perUser, requests: 1 }]);
    await send(app, alice);
    const response = await send(app, alice);
    expect(response.statusCode).toBe(429);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const problem = response.json<Record<string, unknown>>();
    expect(problem).toMatchObject({
      type: 'urn:rampart:error:meter.rate_limited',
      status: 429,
      code: 'meter.rate_limited',
      limit: 'per-user',
      retryAfter: 60,
      error: { code: 'meter.rate_limited', type: 'meter' },
    });
    expect(response.headers['retry-after']).toBe('60');
    expect(response.headers['ratelimit-policy']).toBe('"per-user";q=1;w=60');
    expect(response.headers['ratelimit']).toBe('"per-user";r=0;t=60');
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(response.headers['x-ratelimit-reset-requests']).toBe('1m0s');
    // No subject, key or count of anybody else in the answer.
    expect(response.body).not.toContain('user-1');
  });

  it('an admitted answer carries the most constrained limit in the IETF and OpenAI headers', async () => {
    const app = meterApp([
      { name: 'hourly', key: ['subject'], requests: 100, windowSeconds: 3600 },
      { name: 'burst', key: ['subject'], requests: 3, windowSeconds: 10 },
    ]);
    const response = await send(app, alice);
    expect(response.statusCode).toBe(200);
    expect(response.headers['ratelimit-policy']).toBe('"burst";q=3;w=10');
    expect(response.headers['ratelimit']).toBe('"burst";r=2;t=10');
    expect(response.headers['x-ratelimit-limit-requests']).toBe('3');
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('2');
    expect(response.headers['x-ratelimit-reset-requests']).toBe('10s');
    expect(response.json<Record<string, unknown>>()['object']).toBe('chat.completion');
  });

  it('every decision is counted per limit and outcome, never per caller', async () => {
    const app = meterApp([{ ...perUser, requests: 1 }]);
    await statuses(app, alice, 3);
    expect(await decisions(app)).toEqual({
      'per-user/allowed': 1,
      'per-user/limited': 2,
      'per-user/fail_open': 0,
      'per-user/unavailable': 0,
    });
    const text = await app.metrics.registry.metrics();
    expect(text).not.toContain('user-1');
  });

  it('with no limits configured, answers carry no rate-limit header', async () => {
    const app = meterApp([]);
    const response = await send(app, alice);
    expect(response.statusCode).toBe(200);
    expect(response.headers['ratelimit']).toBeUndefined();
    expect(response.headers['x-ratelimit-limit-requests']).toBeUndefined();
  });
});

describe('anonymous /v1', () => {
  it('an IP limit applies with authentication off', async () => {
    t = pipelineApp({
      provider: stubProvider(),
      config: {
        meter: { limits: [{ name: 'per-ip', key: ['ip'], requests: 1, windowSeconds: 5 }] },
      },
    });
    const go = () => t?.app.inject({ method: 'POST', url: CHAT, payload: chatBody() });
    expect((await go())?.statusCode).toBe(200);
    expect((await go())?.statusCode).toBe(429);
  });
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
