import { createCredentials, type Credentials } from '@rampart/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { gatewayStages } from '../../src/pipeline/index.js';
import {
  chatBody,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../../src/pipeline/pipeline.test-helpers.js';
import type { Provider, Usage } from '../../src/providers/types.js';
import { openRedis, type RedisConnection } from '../../src/redis/index.js';
import { describeWithRedis } from '../helpers/redis.js';

/*
 * Token windows with real Redis: three replicas (each its own app and connection) on one Redis
 * share one user's token window. Each request's estimate is 100 tokens (4 + 1 for the prompt
 * "Hello", 95 for max_tokens); the upstream waits at a gate, so every admitted request is in
 * flight at once, then reports 105 tokens (a prompt the tokenizer undercounted by 5).
 */

const PUBLIC_URL = 'https://rampart.test';
const CHAT = '/v1/chat/completions';
const QUOTA = 1000;
const ESTIMATE = 100;
const USED = 105;
const LIMIT = { name: 'tokens', key: ['subject'], tokens: QUOTA, windowSeconds: 600 };

describeWithRedis('token windows on Redis', (url, prefix) => {
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

  async function replica(
    provider: Provider,
    limit: Record<string, unknown> = LIMIT,
  ): Promise<PipelineTestApp & { redis: RedisConnection }> {
    const settings = validateConfig({ redis: { url, keyPrefix: prefix } }).redis;
    const connection = await openRedis({ ...settings, url });
    connections.push(connection);
    const app = pipelineApp({
      credentials: alice,
      provider,
      config: { meter: { limits: [limit] } },
      stages: (deps) => gatewayStages({ ...deps, redis: connection }),
    });
    apps.push(app);
    return Object.assign(app, { redis: connection });
  }

  /** The tokens alice's window holds, read from Redis on a connection of the test's own. */
  async function counted(name = LIMIT.name): Promise<number> {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      const keys = await client.keys(`${prefix}meter:t:${name}:*`);
      expect(keys).toHaveLength(1);
      return Number(await client.get(keys[0] as string));
    } finally {
      client.disconnect();
    }
  }

  async function send(app: PipelineTestApp) {
    return app.app.inject({
      method: 'POST',
      url: CHAT,
      headers: await alice.headers('POST', CHAT),
      payload: chatBody({ max_tokens: ESTIMATE - 5 }),
    });
  }

  it('three replicas admit no more concurrent tokens than the window, and overspend only by what in-flight requests used beyond their estimates', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const usage: Usage = { promptTokens: 10, completionTokens: USED - 10, totalTokens: USED };
    const provider = stubProvider({
      json: async (body) => {
        await gate;
        return {
          body: {
            id: 'x',
            object: 'chat.completion',
            model: body['model'],
            choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
          },
          usage,
        };
      },
    });
    const replicas = [await replica(provider), await replica(provider), await replica(provider)];
    const settled: number[] = [];
    const pending = Array.from({ length: 30 }, (_, i) =>
      send(replicas[i % 3] as PipelineTestApp).then((response) => {
        settled.push(response.statusCode);
        return response;
      }),
    );
    // Every request has been decided: refused (answered) or admitted (at the upstream's gate).
    await vi.waitFor(() => expect(settled.length + provider.sent.length).toBe(30));
    const admitted = provider.sent.length;
    expect(admitted).toBeGreaterThan(0);
    expect(admitted * ESTIMATE).toBeLessThanOrEqual(QUOTA);
    expect(settled.every((code) => code === 429)).toBe(true);
    // The window holds exactly the admitted estimates: refused ones were given back.
    expect(await counted()).toBe(admitted * ESTIMATE);

    open();
    const responses = await Promise.all(pending);
    expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(admitted);
    await vi.waitFor(async () => expect(await counted()).toBe(admitted * USED));
    // The overspend is bounded by the in-flight requests: what they used beyond their estimates.
    expect(admitted * USED).toBeLessThanOrEqual(QUOTA + admitted * (USED - ESTIMATE));

    // What is left is shared too: the next request fits only if its estimate does.
    const left = QUOTA - admitted * USED;
    const next = await send(replicas[1] as PipelineTestApp);
    expect(next.statusCode).toBe(left >= ESTIMATE ? 200 : 429);
  });

  it('a short answer gives its unused estimate back across replicas', async () => {
    const provider = stubProvider(); // reports 12 tokens
    // A limit of its own: the first test has spent alice's window of LIMIT.
    const limit = { ...LIMIT, name: 'tokens-short' };
    const one = await replica(provider, limit);
    const two = await replica(provider, limit);
    // Twenty requests of 100 estimated tokens fit a window of 1000 because each settles at 12.
    for (let i = 0; i < 20; i++) {
      const response = await send(i % 2 === 0 ? one : two);
      expect(response.statusCode).toBe(200);
      await vi.waitFor(async () => expect(await counted(limit.name)).toBe((i + 1) * 12));
    }
    const last = await send(two);
    expect(last.headers['x-ratelimit-remaining-tokens']).toBe(String(QUOTA - 20 * 12 - ESTIMATE));
  });

  it('Redis gone: a token window fails closed with 503 before the upstream, a failOpen one admits and counts', async () => {
    const provider = stubProvider();
    const closed = await replica(provider, { ...LIMIT, name: 'tokens-strict' });
    const open = await replica(provider, { ...LIMIT, name: 'tokens-lenient', failOpen: true });
    for (const app of [closed, open]) await app.redis.close();

    const refused = await send(closed);
    expect(refused.statusCode).toBe(503);
    expect(refused.json<Record<string, unknown>>()).toMatchObject({ code: 'meter.unavailable' });
    expect(provider.sent).toHaveLength(0);

    const admitted = await send(open);
    expect(admitted.statusCode).toBe(200);
    expect(provider.sent).toHaveLength(1);
    expect(open.logs()).toContain('"limit":"tokens-lenient"');
    expect(await open.metrics.registry.metrics()).toContain(
      'rampart_meter_decisions_total{limit="tokens-lenient",outcome="fail_open"} 1',
    );
  });

  it('a charge that cannot be settled because Redis went away is logged, and the answer is whole', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const provider = stubProvider({
      json: async (body) => {
        await gate;
        return {
          body: {
            id: 'x',
            object: 'chat.completion',
            model: body['model'],
            choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
          },
          usage: { promptTokens: 5, completionTokens: 5, totalTokens: 10 },
        };
      },
    });
    const app = await replica(provider, { ...LIMIT, name: 'tokens-settle' });
    const pending = send(app);
    await vi.waitFor(() => expect(provider.sent).toHaveLength(1));
    await app.redis.close();
    release();
    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(response.json<Record<string, unknown>>()).toMatchObject({ object: 'chat.completion' });
    await vi.waitFor(() => expect(app.logs()).toContain('could not settle a token charge'));
  });
});
