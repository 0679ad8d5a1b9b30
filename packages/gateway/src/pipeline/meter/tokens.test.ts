import { createCredentials, type Credentials } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Provider, Usage } from '../../providers/types.js';
import {
  batches,
  chatBody,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import { PUBLIC_URL, decisions, send } from './meter.test-helpers.js';

/*
 * Token windows in memory, authentication on: a request's estimate (prompt + output allowance)
 * is taken before the upstream call and settled with the upstream's usage once the exchange
 * ends. chatBody()'s prompt ("Hello") estimates at 5 tokens: 4 for the message, 1 for the word.
 */

const PROMPT = 5;

let alice: Credentials;
let bob: Credentials;
beforeAll(async () => {
  alice = await createCredentials({ publicUrl: PUBLIC_URL, roles: ['tester'] });
  bob = await createCredentials({
    publicUrl: PUBLIC_URL,
    issuer: alice.issuer,
    subject: 'user-2',
    roles: ['tester'],
  });
});
afterAll(() => alice.close());

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

function tokenApp(
  tokens: number,
  provider: Provider = stubProvider(),
  meter: Record<string, unknown> = {},
  extraLimits: readonly Record<string, unknown>[] = [],
) {
  t = pipelineApp({
    credentials: alice,
    provider,
    config: {
      meter: {
        limits: [{ name: 'tokens', key: ['subject'], tokens, windowSeconds: 60 }, ...extraLimits],
        ...meter,
      },
    },
  });
  return t;
}

/** A provider whose non-streaming answers report `usage`. */
function reporting(usage: Usage | undefined) {
  return stubProvider({
    json: (body) =>
      Promise.resolve({
        body: {
          id: 'x',
          object: 'chat.completion',
          model: body['model'],
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
        },
        usage,
      }),
  });
}

const used = (total: number): Usage => ({
  promptTokens: PROMPT,
  completionTokens: total - PROMPT,
  totalTokens: total,
});

/**
 * Waits until `count` exchanges have ended: the record stage's `done`, which leaves a usage
 * event, runs after the meter's (done phases run in stage order, each awaited).
 */
async function ended(app: PipelineTestApp, count: number): Promise<void> {
  await vi.waitFor(() => expect(app.usage.length).toBeGreaterThanOrEqual(count));
}

/** The tokens left in alice's window before a probe asking for 1 output token was charged. */
async function remainingAfterProbe(app: PipelineTestApp, who = alice): Promise<number> {
  const probe = await send(app, who, { body: chatBody({ max_tokens: 1 }) });
  expect(probe.statusCode).toBe(200);
  return Number(probe.headers['x-ratelimit-remaining-tokens']) + PROMPT + 1;
}

describe('token windows', () => {
  it('an estimate that does not fit is refused with 429 before the upstream is called', async () => {
    const provider = stubProvider();
    const app = tokenApp(1000, provider);
    const first = await send(app, alice, { body: chatBody({ max_tokens: 600 }) });
    expect(first.statusCode).toBe(200);
    expect(provider.sent).toHaveLength(1);
    await ended(app, 1);
    // The first request settled at the stub's 12 tokens: 988 left, 1000 asked.
    const second = await send(app, alice, { body: chatBody({ max_tokens: 995 }) });
    expect(second.statusCode).toBe(429);
    expect(second.headers['content-type']).toContain('application/problem+json');
    expect(second.json()).toMatchObject({ code: 'meter.rate_limited', limit: 'tokens' });
    expect(second.headers['retry-after']).toBeDefined();
    expect(second.headers['ratelimit-policy']).toBe('"tokens";q=1000;w=60;qu="tokens"');
    expect(second.headers['x-ratelimit-limit-tokens']).toBe('1000');
    expect(provider.sent).toHaveLength(1);
    // Bob has a window of his own.
    expect((await send(app, bob, { body: chatBody({ max_tokens: 900 }) })).statusCode).toBe(200);
  });

  it('a request that could never fit the window is refused without counting anything', async () => {
    const provider = stubProvider();
    const app = tokenApp(100, provider);
    const refused = await send(app, alice, { body: chatBody({ max_tokens: 5000 }) });
    expect(refused.statusCode).toBe(429);
    expect(refused.json<{ detail: string }>().detail).toContain('ask for fewer output tokens');
    expect(provider.sent).toHaveLength(0);
    expect(await remainingAfterProbe(app)).toBe(100);
  });

  it('a large max_tokens with a short answer gives the unused tokens back, so the next request is not starved', async () => {
    const app = tokenApp(1000, reporting(used(20)));
    for (let i = 0; i < 5; i++) {
      const response = await send(app, alice, { body: chatBody({ max_tokens: 900 }) });
      expect(response.statusCode).toBe(200);
    }
    // Five settled requests of 20 tokens each: without settling, the second would be refused.
    await ended(app, 5);
    expect(await remainingAfterProbe(app)).toBe(1000 - 5 * 20);
  });

  it('an answer longer than its estimate is charged the extra tokens', async () => {
    // A provider that reports more than the request's allowance (an upstream ignoring it).
    const app = tokenApp(1000, reporting(used(700)));
    const response = await send(app, alice, { body: chatBody({ max_tokens: 10 }) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ratelimit-remaining-tokens']).toBe(String(1000 - PROMPT - 10));
    await ended(app, 1);
    expect(await remainingAfterProbe(app)).toBe(1000 - 700);
  });

  it('an answer with unknown usage keeps its estimate', async () => {
    const app = tokenApp(1000, reporting(undefined));
    expect((await send(app, alice, { body: chatBody({ max_tokens: 300 }) })).statusCode).toBe(200);
    await ended(app, 1);
    expect(await remainingAfterProbe(app)).toBe(1000 - PROMPT - 300);
  });

  it('a request naming no output bound is charged meter.defaultOutputTokens up front', async () => {
    const app = tokenApp(1000, reporting(undefined), { defaultOutputTokens: 250 });
    const response = await send(app, alice);
    expect(response.headers['x-ratelimit-remaining-tokens']).toBe(String(1000 - PROMPT - 250));
  });

  it('a max_tokens cap lowers the estimate to the clamped value sent upstream', async () => {
    const app = tokenApp(1000, reporting(undefined), {
      caps: [{ name: 'short', maxTokens: 50, overMaxTokens: 'clamp' }],
    });
    const response = await send(app, alice, { body: chatBody({ max_tokens: 5000 }) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ratelimit-remaining-tokens']).toBe(String(1000 - PROMPT - 50));
  });

  it('successful answers carry the token quota in OpenAI x-ratelimit-*-tokens beside the request headers', async () => {
    const app = tokenApp(1000, reporting(undefined), {}, [
      { name: 'requests', key: ['subject'], requests: 10, windowSeconds: 60 },
    ]);
    const response = await send(app, alice, { body: chatBody({ max_tokens: 95 }) });
    expect(response.headers).toMatchObject({
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '900',
      'x-ratelimit-reset-tokens': '1m0s',
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '9',
      ratelimit: '"requests";r=9;t=60',
    });
  });

  it('a request refused by a request window gives its token estimate back', async () => {
    const provider = reporting(undefined);
    const app = tokenApp(1000, provider, {}, [
      { name: 'requests', key: ['subject'], requests: 1, windowSeconds: 60 },
    ]);
    expect((await send(app, alice, { body: chatBody({ max_tokens: 95 }) })).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect((await send(app, alice, { body: chatBody({ max_tokens: 95 }) })).statusCode).toBe(429);
    }
    const counted = await decisions(app);
    expect(counted['tokens/allowed']).toBe(4);
    // Only the admitted request's 100 tokens stay taken (usage unknown): the refused ones gave
    // theirs back. Read through a fresh request window: alice's is spent.
    await ended(app, 4);
    const state = await send(app, alice, { body: chatBody({ max_tokens: 1 }) });
    expect(state.statusCode).toBe(429);
    expect(await decisions(app)).toMatchObject({ 'tokens/allowed': 5, 'requests/limited': 4 });
    expect(provider.sent).toHaveLength(1);
  });

  it('a stream settles with the usage it reported', async () => {
    const provider = stubProvider({
      stream: () => batches('a', 'b', 'c'),
      streamUsage: () => used(30),
    });
    const app = tokenApp(1000, provider);
    const response = await send(app, alice, { body: chatBody({ stream: true, max_tokens: 800 }) });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('data: [DONE]');
    await ended(app, 1);
    expect(await remainingAfterProbe(app)).toBe(1000 - 30);
  });

  it('a stream cut short by the upstream settles with the usage known when it ended', async () => {
    let reported: Usage | undefined;
    const provider = stubProvider({
      stream: async function* () {
        // The usage chunk came with the first batch (read after each batch); then the cut.
        reported = used(15);
        yield* batches('a');
        throw new Error('upstream connection reset');
      },
      streamUsage: () => reported,
    });
    const app = tokenApp(1000, provider);
    await send(app, alice, { body: chatBody({ stream: true, max_tokens: 800 }) });
    await ended(app, 1);
    expect(await remainingAfterProbe(app)).toBe(1000 - 15);
  });
});
