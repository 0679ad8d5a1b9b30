import { createCredentials, type Credentials } from '@rampart/testkit';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../providers/types.js';
import { createModelRouter } from '../parse/router.js';
import {
  chatBody,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import { CHAT, EMBED, PUBLIC_URL, send } from './meter.test-helpers.js';

/*
 * `meter.caps` in the gateway's own stage list, authentication on (testkit credentials verified
 * by the real authenticate stage). What the upstream receives is read from the provider double.
 */

let alice: Credentials;
let freeUser: Credentials;
beforeAll(async () => {
  alice = await createCredentials({ publicUrl: PUBLIC_URL, roles: ['tester'] });
  freeUser = await createCredentials({
    publicUrl: PUBLIC_URL,
    issuer: alice.issuer,
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

/** Two chat aliases and one embeddings alias on one provider double. */
function capsApp(caps: readonly Record<string, unknown>[], limits: readonly unknown[] = []) {
  const provider = stubProvider();
  const router = createModelRouter([
    { alias: 'chat', kind: 'chat', provider, upstreamModel: 'upstream-model' },
    { alias: 'big', kind: 'chat', provider, upstreamModel: 'upstream-big' },
    { alias: 'embed', kind: 'embeddings', provider, upstreamModel: 'upstream-embed' },
  ]);
  t = pipelineApp({ credentials: alice, router, config: { meter: { caps, limits } } });
  return { app: t, sent: provider.sent };
}

/** A model-extraction shaped request: many choices, unbounded output, full log probabilities. */
const EXTRACTION = { n: 128, max_tokens: 1_000_000, logprobs: true, top_logprobs: 20 };

function problem(response: LightMyRequestResponse): Record<string, unknown> {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return response.json<Record<string, unknown>>();
}

const last = (sent: JsonObject[]): JsonObject => sent.at(-1) ?? {};

describe('an extraction-style request', () => {
  it('is refused for the capped alias, naming the parameter, and nothing reaches the upstream', async () => {
    const { app, sent } = capsApp([{ name: 'big-caps', aliases: ['big'], n: 1 }]);
    const refused = await send(app, alice, { body: chatBody({ model: 'big', ...EXTRACTION }) });
    expect(refused.statusCode).toBe(400);
    expect(problem(refused)).toMatchObject({
      code: 'meter.cap_exceeded',
      parameter: 'n',
      max: 1,
      cap: 'big-caps',
    });
    expect(sent).toHaveLength(0);
    // Another alias is not capped.
    expect((await send(app, alice, { body: chatBody(EXTRACTION) })).statusCode).toBe(200);
    expect(last(sent)).toMatchObject({ n: 128, max_tokens: 1_000_000, logprobs: true });
  });

  it('is trimmed when the caps say so: tokens clamped, logprobs stripped from what the upstream receives', async () => {
    const { app, sent } = capsApp([
      { name: 'trim', maxTokens: 512, overMaxTokens: 'clamp', logprobs: 'strip', n: 128 },
    ]);
    const response = await send(app, alice, { body: chatBody(EXTRACTION) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-rampart-clamped']).toBe('logprobs, max_tokens');
    const upstream = last(sent);
    expect(upstream['max_tokens']).toBe(512);
    expect(upstream).not.toHaveProperty('logprobs');
    expect(upstream).not.toHaveProperty('top_logprobs');
    expect(upstream['model']).toBe('upstream-model');
    // The operator sees it too: one admitted request changed, by parameter.
    const metric = await app.metrics.registry.getSingleMetric('rampart_meter_clamps_total')?.get();
    const count = (parameter: string) =>
      metric?.values.find((v) => v.labels['parameter'] === parameter)?.value;
    expect(count('logprobs')).toBe(1);
    expect(count('max_tokens')).toBe(1);
  });

  it('is refused for a capped role and served to a role without caps', async () => {
    const { app, sent } = capsApp([{ name: 'free', roles: ['free'], logprobs: 'refuse' }]);
    const refused = await send(app, freeUser, { body: chatBody(EXTRACTION) });
    expect(refused.statusCode).toBe(400);
    expect(problem(refused)).toMatchObject({ code: 'meter.logprobs_forbidden', cap: 'free' });
    expect(sent).toHaveLength(0);
    expect((await send(app, alice, { body: chatBody(EXTRACTION) })).statusCode).toBe(200);
  });

  it('streamed is trimmed the same way: the upstream stream is asked without logprobs and within the cap', async () => {
    const { app, sent } = capsApp([
      { name: 'trim', maxTokens: 256, overMaxTokens: 'clamp', logprobs: 'strip' },
    ]);
    const response = await send(app, alice, {
      body: chatBody({ stream: true, max_completion_tokens: 100_000, logprobs: true }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(response.headers['x-rampart-clamped']).toBe('logprobs, max_completion_tokens');
    expect(last(sent)).toMatchObject({ stream: true, max_completion_tokens: 256 });
    expect(last(sent)).not.toHaveProperty('logprobs');
  });

  it('streamed is refused before the stream opens', async () => {
    const { app, sent } = capsApp([{ name: 'tokens', maxTokens: 256 }]);
    const refused = await send(app, alice, {
      body: chatBody({ stream: true, max_tokens: 100_000 }),
    });
    expect(refused.statusCode).toBe(400);
    expect(problem(refused)).toMatchObject({ code: 'meter.cap_exceeded', parameter: 'max_tokens' });
    expect(sent).toHaveLength(0);
  });
});

describe('output tokens', () => {
  it('a request naming no bound gets the cap set upstream and is told so', async () => {
    const { app, sent } = capsApp([{ name: 'tokens', maxTokens: 300 }]);
    const response = await send(app, alice);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-rampart-clamped']).toBe('max_completion_tokens');
    expect(last(sent)['max_completion_tokens']).toBe(300);
    expect(last(sent)).not.toHaveProperty('max_tokens');
  });

  it('sets max_tokens instead for a server that reads only that one', async () => {
    const { app, sent } = capsApp([{ name: 'tokens', maxTokens: 300, capParameter: 'max_tokens' }]);
    await send(app, alice);
    expect(last(sent)['max_tokens']).toBe(300);
    expect(last(sent)).not.toHaveProperty('max_completion_tokens');
  });

  it('a request within the cap is sent as it came, with no clamped header', async () => {
    const { app, sent } = capsApp([{ name: 'tokens', maxTokens: 300, overMaxTokens: 'clamp' }]);
    const response = await send(app, alice, { body: chatBody({ max_tokens: 300 }) });
    expect(response.headers['x-rampart-clamped']).toBeUndefined();
    expect(last(sent)['max_tokens']).toBe(300);
    expect(last(sent)).not.toHaveProperty('max_completion_tokens');
  });

  it('both parameters are checked: a small max_tokens does not smuggle a large max_completion_tokens', async () => {
    const { app } = capsApp([{ name: 'tokens', maxTokens: 300 }]);
    const refused = await send(app, alice, {
      body: chatBody({ max_tokens: 10, max_completion_tokens: 1_000_000 }),
    });
    expect(problem(refused)).toMatchObject({ parameter: 'max_completion_tokens', max: 300 });
  });

  it('every cap that applies applies: a loose alias cap does not lift a strict role cap', async () => {
    const { app, sent } = capsApp([
      { name: 'big-loose', aliases: ['big'], maxTokens: 100_000, overMaxTokens: 'clamp' },
      { name: 'free-strict', roles: ['free'], maxTokens: 200, overMaxTokens: 'clamp' },
    ]);
    await send(app, freeUser, { body: chatBody({ model: 'big', max_tokens: 50_000 }) });
    expect(last(sent)['max_tokens']).toBe(200);
    await send(app, alice, { body: chatBody({ model: 'big', max_tokens: 50_000 }) });
    expect(last(sent)['max_tokens']).toBe(50_000);
  });
});

describe('other caps', () => {
  it('more tools and functions together than the cap are refused', async () => {
    const { app } = capsApp([{ name: 'tools', maxTools: 2 }]);
    const fn = { type: 'function', function: { name: 'f', parameters: {} } };
    const ok = await send(app, alice, { body: chatBody({ tools: [fn, fn] }) });
    expect(ok.statusCode).toBe(200);
    const refused = await send(app, alice, {
      body: chatBody({ tools: [fn, fn], functions: [{ name: 'g', parameters: {} }] }),
    });
    expect(problem(refused)).toMatchObject({ code: 'meter.cap_exceeded', parameter: 'tools' });
  });

  it('a prompt longer than the cap in characters is refused, counting text parts and tool-call arguments', async () => {
    const { app, sent } = capsApp([{ name: 'prompt', maxPromptChars: 20 }]);
    expect(
      (
        await send(app, alice, {
          body: chatBody({ messages: [{ role: 'user', content: 'x'.repeat(20) }] }),
        })
      ).statusCode,
    ).toBe(200);
    const parts = [
      { role: 'user', content: [{ type: 'text', text: 'x'.repeat(15) }] },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'tool', tool_call_id: 'c', content: 'ok' },
    ];
    const refused = await send(app, alice, { body: chatBody({ messages: parts }) });
    expect(refused.statusCode).toBe(400);
    expect(problem(refused)).toMatchObject({ parameter: 'messages', max: 20 });
    expect(sent).toHaveLength(1);
  });

  it('top_logprobs above its cap is refused where logprobs are allowed', async () => {
    const { app } = capsApp([{ name: 'lp', logprobs: 'allow', topLogprobs: 5 }]);
    expect(
      (await send(app, alice, { body: chatBody({ logprobs: true, top_logprobs: 5 }) })).statusCode,
    ).toBe(200);
    const refused = await send(app, alice, { body: chatBody({ logprobs: true, top_logprobs: 6 }) });
    expect(problem(refused)).toMatchObject({ parameter: 'top_logprobs', max: 5 });
  });

  it('top_logprobs alone counts as asking for log probabilities', async () => {
    const { app } = capsApp([{ name: 'lp', logprobs: 'refuse' }]);
    const refused = await send(app, alice, { body: chatBody({ top_logprobs: 0 }) });
    expect(problem(refused)).toMatchObject({ code: 'meter.logprobs_forbidden' });
  });

  it('the strictest logprobs policy wins whatever the order of the caps', async () => {
    const { app } = capsApp([
      { name: 'allow-all', logprobs: 'allow' },
      { name: 'strip-big', aliases: ['big'], logprobs: 'strip' },
      { name: 'refuse-free', roles: ['free'], logprobs: 'refuse' },
    ]);
    const body = chatBody({ model: 'big', logprobs: true });
    expect(problem(await send(app, freeUser, { body }))).toMatchObject({ cap: 'refuse-free' });
    expect((await send(app, alice, { body })).headers['x-rampart-clamped']).toBe('logprobs');
  });

  it('a request over a cap is not counted against a request window', async () => {
    const { app } = capsApp(
      [{ name: 'n', n: 1 }],
      [{ name: 'per-user', key: ['subject'], requests: 1, windowSeconds: 60 }],
    );
    expect((await send(app, alice, { body: chatBody({ n: 2 }) })).statusCode).toBe(400);
    expect((await send(app, alice)).statusCode).toBe(200);
    expect((await send(app, alice)).statusCode).toBe(429);
  });
});

describe('with request windows', () => {
  it('a trimmed request admitted by a window says so beside its quota; refused by it, claims no change', async () => {
    const { app, sent } = capsApp(
      [{ name: 'trim', logprobs: 'strip' }],
      [{ name: 'per-user', key: ['subject'], requests: 1, windowSeconds: 60 }],
    );
    const body = chatBody({ logprobs: true });
    const admitted = await send(app, alice, { body });
    expect(admitted.statusCode).toBe(200);
    expect(admitted.headers['x-rampart-clamped']).toBe('logprobs');
    expect(admitted.headers['ratelimit']).toMatch(/^"per-user";r=0/);
    const limited = await send(app, alice, { body });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['x-rampart-clamped']).toBeUndefined();
    expect(sent).toHaveLength(1);
  });
});

describe('embeddings', () => {
  it('are unaffected by caps that apply to every alias', async () => {
    const { app, sent } = capsApp([
      { name: 'all', maxTokens: 1, maxPromptChars: 1, n: 1, logprobs: 'refuse' },
    ]);
    const response = await app.app.inject({
      method: 'POST',
      url: EMBED,
      headers: await alice.headers('POST', EMBED),
      payload: { model: 'embed', input: 'a longer text than one character' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-rampart-clamped']).toBeUndefined();
    expect(last(sent)).toEqual({
      model: 'upstream-embed',
      input: 'a longer text than one character',
    });
  });
});

describe('without caps', () => {
  it('the body goes upstream as the client sent it', async () => {
    const { app, sent } = capsApp([]);
    const response = await send(app, alice, { url: CHAT, body: chatBody(EXTRACTION) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-rampart-clamped']).toBeUndefined();
    expect(last(sent)).toMatchObject(EXTRACTION);
  });
});
