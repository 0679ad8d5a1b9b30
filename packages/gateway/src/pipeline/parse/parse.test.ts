import { afterEach, describe, expect, it } from 'vitest';
import { limitsStage } from '../limits/index.js';
import { chatBody, chunk, pipelineApp, type PipelineTestApp } from '../pipeline.test-helpers.js';
import type { Forwarded, Stage } from '../stage.js';
import { proxyStage } from '../proxy/index.js';
import { parseStage } from './index.js';
import { createModelRouter } from './router.js';

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

/**
 * parse between limits and a stub proxy that answers with what it was handed, so the test
 * sees exactly what parse left on the exchange.
 */
function parseApp() {
  const forwarded: Array<Record<string, unknown>> = [];
  const echoProxy: Stage = {
    name: 'proxy',
    forward: (exchange): Promise<Forwarded> => {
      const body = exchange.upstreamBody ?? {};
      forwarded.push({ ...body, route: exchange.route?.alias, kind: exchange.request?.kind });
      if (body['stream'] === true) {
        return Promise.resolve({
          type: 'stream',
          stream: {
            chunks: (async function* () {
              await Promise.resolve();
              yield [chunk('a'), { ...chunk('b'), model: undefined }];
            })(),
            usage: () => undefined,
          },
        });
      }
      return Promise.resolve({ type: 'json', body: { object: 'echo', model: body['model'] } });
    },
  };
  t = pipelineApp({
    stages: (deps) => [
      limitsStage(deps),
      parseStage({ router: deps.router, maxMessages: 3 }),
      echoProxy,
    ],
  });
  return { forwarded, app: t.app };
}

describe('parse stage', () => {
  it('resolves the alias: the upstream gets the configured model, the client sees the alias', async () => {
    const { forwarded, app } = parseApp();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody({ temperature: 0.5 }),
    });
    expect(response.json()).toEqual({ object: 'echo', model: 'chat' });
    expect(forwarded).toEqual([
      {
        model: 'upstream-model',
        messages: [{ role: 'user', content: 'Hello' }],
        temperature: 0.5,
        route: 'chat',
        kind: 'chat',
      },
    ]);
  });

  it('rewrites the model in every streamed chunk, in the same place as for JSON', async () => {
    const { app } = parseApp();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody({ stream: true }),
    });
    const models = response.body
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => (JSON.parse(event.slice(6)) as { model: string }).model);
    expect(models).toEqual(['chat', 'chat']);
    expect(response.body).not.toContain('upstream-model');
  });

  it.each([
    [{ model: 'nope' }, 404, 'model.unknown_alias'],
    [{ model: 'embed' }, 400, 'model.wrong_kind'],
    [{ temperature: 'hot' }, 400, 'request.invalid_parameter'],
    [{ unknown_field: 1 }, 400, 'request.invalid_parameter'],
    // Validation still comes first: an invalid body is refused as such whatever it names.
    [{ model: 'nope', temperature: 'hot' }, 400, 'request.invalid_parameter'],
    [{ model: 'nope', top_k: 1 }, 400, 'request.invalid_parameter'],
    [{ model: 'embed', top_k: 1 }, 400, 'request.invalid_parameter'],
    [
      { messages: Array.from({ length: 4 }, () => ({ role: 'user', content: 'x' })) },
      400,
      'request.invalid_parameter',
    ],
  ])('refuses %j with %i %s and forwards nothing', async (patch, status, code) => {
    const { forwarded, app } = parseApp();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody(patch),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code });
    expect(forwarded).toEqual([]);
  });

  it('accepts a vendor extension only for the routes whose provider enables it', async () => {
    const forwarded: unknown[] = [];
    t = pipelineApp({
      stages: (deps) => {
        const [chat] = deps.router.list();
        if (chat === undefined) throw new Error('no chat route');
        const router = createModelRouter([
          chat,
          { ...chat, alias: 'vllm', extraParameters: ['top_k'] },
        ]);
        return [
          limitsStage(deps),
          parseStage({ router, maxMessages: 3 }),
          {
            name: 'proxy',
            forward: (exchange) => {
              forwarded.push(exchange.upstreamBody);
              return Promise.resolve({ type: 'json', body: {} });
            },
          },
        ];
      },
    });
    const send = (model: string, extra: Record<string, unknown>) =>
      t?.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: chatBody({ model, ...extra }),
      });
    expect((await send('vllm', { top_k: 5 }))?.statusCode).toBe(200);
    expect(forwarded).toMatchObject([{ top_k: 5, model: 'upstream-model' }]);
    for (const [model, extra] of [
      ['chat', { top_k: 5 }],
      ['vllm', { top_k: -5 }],
      ['vllm', { min_p: 0.5 }],
    ] as const) {
      const response = await send(model, extra);
      expect(response?.statusCode).toBe(400);
      expect(response?.json()).toMatchObject({ code: 'request.invalid_parameter' });
    }
    expect(forwarded).toHaveLength(1);
  });

  it('validates embeddings against their own schema and endpoint', async () => {
    const { forwarded, app } = parseApp();
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'embed', input: 'hi' },
    });
    expect(ok.statusCode).toBe(200);
    expect(forwarded[0]).toMatchObject({ model: 'upstream-embed', kind: 'embeddings' });
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'chat', input: 'hi' },
    });
    expect(wrong.json()).toMatchObject({ code: 'model.wrong_kind' });
  });

  it('a body that is not an object is refused, whatever the JSON', async () => {
    const { app } = parseApp();
    for (const payload of ['[]', '"x"', '1', 'null']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'request.invalid_parameter' });
    }
  });

  describe('a refusal stays small whatever the body holds', () => {
    const manyKeys = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

    it.each([
      ['150,000 unknown top-level keys', chatBody(manyKeys(150_000)), 150_000],
      [
        '150,000 unknown keys in a nested strict object',
        chatBody({ stream_options: manyKeys(150_000) }),
        1,
      ],
      [
        '1,000 invalid messages',
        chatBody({ messages: Array.from({ length: 1000 }, () => ({ role: 'robot' })) }),
        1000,
      ],
    ])('%s: at most 20 issues listed, a few KB, the count said', async (_name, payload, count) => {
      // With the members bound raised as far as it goes, so the validator itself is what is tested.
      t = pipelineApp({
        config: {
          limits: {
            maxBodyBytes: 8 * 1024 * 1024,
            maxChatBodyBytes: 8 * 1024 * 1024,
            maxMessages: 1000,
            maxObjectKeys: 1_000_000,
          },
        },
        // limits and parse as configured, in front of the real proxy: the validator in isolation.
        stages: (deps) => [
          limitsStage(deps),
          parseStage({ router: deps.router, maxMessages: deps.config.limits.maxMessages }),
          proxyStage(deps),
        ],
      });
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload,
      });
      expect(response.statusCode).toBe(400);
      const problem = response.json<{ errors: unknown[]; errorCount: number; code: string }>();
      expect(problem.code).toBe('request.invalid_parameter');
      expect(problem.errors.length).toBeLessThanOrEqual(20);
      expect(problem.errorCount).toBe(count);
      expect(response.body.length).toBeLessThan(8 * 1024);
    });
  });
});
