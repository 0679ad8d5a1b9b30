import { createCredentials, startMockIssuer, type Credentials } from '@rampart/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { gatewayStages } from '../../src/pipeline/index.js';
import { streamSlots } from '../../src/pipeline/meter/streams.js';
import {
  chatBody,
  chunk,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../../src/pipeline/pipeline.test-helpers.js';
import { openRedis, type RedisConnection } from '../../src/redis/index.js';
import { describeWithRedis } from '../helpers/redis.js';
import { startHarness } from '../http/harness.js';

/*
 * The meter with real Redis: replicas (three apps, each with its own connection) sharing one
 * Redis share every counter exactly, and a Redis that stops answering fails each limit as its
 * policy says. Authentication is on throughout (testkit credentials).
 */

const PUBLIC_URL = 'https://rampart.test';
const CHAT = '/v1/chat/completions';

describeWithRedis('meter on Redis', (url, prefix) => {
  let alice: Credentials;
  const connections: RedisConnection[] = [];
  const apps: PipelineTestApp[] = [];
  beforeAll(async () => {
    alice = await createCredentials({ publicUrl: PUBLIC_URL, roles: ['tester'] });
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.app.close();
    for (const connection of connections.splice(0)) await connection.close();
  });
  afterAll(() => alice.close());

  async function connect(): Promise<RedisConnection> {
    const settings = validateConfig({ redis: { url, keyPrefix: prefix } }).redis;
    const connection = await openRedis({ ...settings, url });
    connections.push(connection);
    return connection;
  }

  /** One replica: its own app and its own connection to the shared Redis. */
  async function replica(
    limits: readonly Record<string, unknown>[],
    provider = stubProvider(),
    redis?: RedisConnection,
  ): Promise<PipelineTestApp & { redis: RedisConnection }> {
    const connection = redis ?? (await connect());
    const app = pipelineApp({
      credentials: alice,
      provider,
      config: { meter: { limits, streamLeaseSeconds: 10 } },
      stages: (deps) => gatewayStages({ ...deps, redis: connection }),
    });
    apps.push(app);
    return Object.assign(app, { redis: connection });
  }

  /** Keys as Redis holds them (no client prefix), read on a connection of the test's own. */
  async function rawKeys(pattern: string): Promise<string[]> {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      return await client.keys(pattern);
    } finally {
      client.disconnect();
    }
  }

  async function send(app: PipelineTestApp, body: Record<string, unknown> = chatBody()) {
    return app.app.inject({
      method: 'POST',
      url: CHAT,
      headers: await alice.headers('POST', CHAT),
      payload: body,
    });
  }

  it('three replicas on one Redis admit exactly 20 of 60 parallel requests for one user', async () => {
    const limit = { name: 'per-user', key: ['subject'], requests: 20, windowSeconds: 600 };
    const replicas = [await replica([limit]), await replica([limit]), await replica([limit])];
    const headers = await Promise.all(
      Array.from({ length: 60 }, () => alice.headers('POST', CHAT)),
    );
    const responses = await Promise.all(
      headers.map((credential, i) =>
        (replicas[i % 3] as PipelineTestApp).app.inject({
          method: 'POST',
          url: CHAT,
          headers: credential,
          payload: chatBody(),
        }),
      ),
    );
    const codes = responses.map((response) => response.statusCode);
    expect(codes.filter((code) => code === 200)).toHaveLength(20);
    expect(codes.filter((code) => code === 429)).toHaveLength(40);
    // Every replica's next request is refused too: the count is one, not three.
    for (const app of replicas) expect((await send(app)).statusCode).toBe(429);
  });

  it('gateways started by startGateway with redis.url share one window through it', async () => {
    const issuer = await startMockIssuer();
    const config = {
      redis: { url, keyPrefix: prefix },
      meter: { limits: [{ name: 'started', key: ['subject'], requests: 3, windowSeconds: 600 }] },
    };
    const one = await startHarness({ issuer, config });
    const two = await startHarness({ issuer, config });
    try {
      const codes: number[] = [];
      for (const harness of [one, two, one, two]) {
        const response = await harness.post(CHAT, {
          model: 'chat',
          messages: [{ role: 'user', content: 'hi' }],
        });
        codes.push(response.status);
        await response.body?.cancel();
      }
      expect(codes).toEqual([200, 200, 200, 429]);
    } finally {
      await one.close();
      await two.close();
      await issuer.close();
    }
  });

  it('stream slots are shared by replicas: 2 of 10 parallel streams are admitted, and all come back', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const provider = stubProvider({
      async *stream() {
        yield [chunk('a')];
        await gate;
        yield [chunk('b')];
      },
    });
    const limit = { name: 'streams', key: ['subject'], concurrentStreams: 2 };
    const replicas = [
      await replica([limit], provider),
      await replica([limit], provider),
      await replica([limit], provider),
    ];
    const settled: number[] = [];
    const pending = Array.from({ length: 10 }, (_, i) =>
      send(replicas[i % 3] as PipelineTestApp, chatBody({ stream: true })).then((response) => {
        settled.push(response.statusCode);
        return response.statusCode;
      }),
    );
    await vi.waitFor(() => expect(settled).toHaveLength(8));
    expect(settled).toEqual(Array(8).fill(429));
    expect(provider.sent).toHaveLength(2);
    open();
    expect((await Promise.all(pending)).filter((code) => code === 200)).toHaveLength(2);
    await vi.waitFor(async () => expect(await rawKeys(`${prefix}meter:s:streams:*`)).toEqual([]));
    expect(
      (await send(replicas[2] as PipelineTestApp, chatBody({ stream: true }))).statusCode,
    ).toBe(200);
  });

  it("a crashed replica's stream slot lapses with its lease, while a live holder keeps renewing", async () => {
    const crashed = await connect();
    const live = await connect();
    const other = await connect();
    const options = { name: 'lease', max: 1, leaseMs: 300 };
    const onCrashed = streamSlots(options, crashed.client);
    const onLive = streamSlots(options, live.client);
    const onOther = streamSlots(options, other.client);

    expect((await onCrashed.acquire('k1')).outcome).toBe('allowed');
    crashed.client.disconnect(); // no release, no renewal: as a process that died
    expect((await onOther.acquire('k1')).outcome).toBe('limited');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = await onOther.acquire('k1');
    expect(after.outcome).toBe('allowed');
    if (after.outcome === 'allowed') await after.slot.release();

    const held = await onLive.acquire('k2');
    expect(held.outcome).toBe('allowed');
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await onOther.acquire('k2')).outcome).toBe('limited');
    if (held.outcome === 'allowed') await held.slot.release();
    expect((await onOther.acquire('k2')).outcome).toBe('allowed');
  });

  it('Redis gone: a limit fails closed with 503 meter.unavailable; a failOpen limit admits, logs and counts', async () => {
    const closed = await replica([
      { name: 'strict', key: ['subject'], requests: 100, windowSeconds: 60 },
    ]);
    const open = await replica([
      { name: 'lenient', key: ['subject'], requests: 100, windowSeconds: 60, failOpen: true },
    ]);
    const streams = await replica([{ name: 'slots', key: ['subject'], concurrentStreams: 5 }]);
    expect((await send(closed)).statusCode).toBe(200);
    for (const app of [closed, open, streams]) await app.redis.close();

    const refused = await send(closed);
    expect(refused.statusCode).toBe(503);
    expect(refused.json<Record<string, unknown>>()).toMatchObject({ code: 'meter.unavailable' });
    const refusedStream = await send(streams, chatBody({ stream: true }));
    expect(refusedStream.statusCode).toBe(503);

    const admitted = await send(open);
    expect(admitted.statusCode).toBe(200);
    expect(open.logs()).toContain('the limit fails open');
    expect(open.logs()).toContain('"limit":"lenient"');
    const text = await open.metrics.registry.metrics();
    expect(text).toContain('rampart_meter_decisions_total{limit="lenient",outcome="fail_open"} 1');
    const strict = await closed.metrics.registry.metrics();
    expect(strict).toContain(
      'rampart_meter_decisions_total{limit="strict",outcome="unavailable"} 1',
    );
  });

  it('a slot that cannot be given back because Redis went away is logged, and the answer is whole', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const provider = stubProvider({
      async *stream() {
        yield [chunk('a')];
        await gate;
        yield [chunk('b')];
      },
    });
    const app = await replica(
      [{ name: 'slots', key: ['subject'], concurrentStreams: 1 }],
      provider,
    );
    const pending = send(app, chatBody({ stream: true }));
    await vi.waitFor(() => expect(provider.sent).toHaveLength(1));
    await app.redis.close();
    open();
    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('data: [DONE]');
    await vi.waitFor(() => expect(app.logs()).toContain('it lapses with its lease'));
  });

  it('window counters are stored under the prefix, keyed by a digest that names nobody', async () => {
    const app = await replica([
      { name: 'per-user', key: ['subject'], requests: 5, windowSeconds: 60 },
    ]);
    expect((await send(app)).statusCode).toBe(200);
    const keys = await rawKeys(`${prefix}meter:w:per-user:60:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}meter:w:per-user:60:[A-Za-z0-9_-]{22}$`));
    expect(keys[0]).not.toContain('user-1');
  });
});
