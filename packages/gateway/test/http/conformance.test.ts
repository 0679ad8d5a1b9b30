import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { CHAT_CASES, EMBEDDING_CASES, ERROR_CASES, type ChatCase } from './conformance-corpus.js';

/**
 * Conformance, judged by a client that is not ours: the official OpenAI SDK sends a corpus of
 * requests once straight to the testkit mock and once through Rampart, and the parsed results
 * must be identical apart from the documented differences (docs/compatibility.md), which
 * `normalise` removes: the model (clients see the alias), and per-response ids and timestamps.
 *
 * For the Anthropic provider the baseline is the mock's OpenAI dialect scripted with the same
 * content: what an app gets through Rampart from Claude must look like what it would get from
 * an OpenAI-style upstream answering alike.
 */
let h: Harness;
let direct: OpenAI;
let via: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    config: { models: { 'claude-http-error': { provider: 'claude', model: 'fault:http-error' } } },
  });
  const options = { apiKey: 'not-a-provider-key', maxRetries: 0 };
  direct = new OpenAI({ ...options, baseURL: `${h.mock.url}/v1` });
  // Through Rampart the SDK sends the app's DPoP-bound token and a fresh proof per request.
  via = new OpenAI({ ...options, baseURL: `${h.url}/v1`, fetch: h.credentials?.fetch });
});
afterAll(async () => {
  await h.close();
});

/**
 * Fields an Anthropic answer cannot carry, because Anthropic's API has no such thing: the
 * translation leaves them out rather than invent values (docs/compatibility.md).
 */
const NOT_FROM_ANTHROPIC = new Set([
  'service_tier',
  'system_fingerprint',
  'annotations',
  'completion_tokens_details',
  'prompt_tokens_details',
]);

/** The documented differences, removed; everything else must match exactly. */
function normalise(value: unknown, drop: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item, drop));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (drop.has(key)) continue;
    if (key === 'model') out[key] = '(model)';
    else if (key === 'created') out[key] = '(created)';
    else if (key === 'id' && typeof item === 'string') out[key] = '(id)';
    else out[key] = normalise(item, drop);
  }
  return out;
}

/** A stream as an app reads it: the text, the tool calls and the last finish reason and usage. */
function joined(chunks: readonly ChatCompletionChunk[]) {
  interface Joined {
    content: string;
    tools: Map<number, { name: string; args: string }>;
    finish: string | null;
  }
  const choices = new Map<number, Joined>();
  let usage: unknown = null;
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      const entry: Joined = choices.get(choice.index) ?? {
        content: '',
        tools: new Map(),
        finish: null,
      };
      entry.content += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        const tool = entry.tools.get(call.index) ?? { name: '', args: '' };
        tool.name += call.function?.name ?? '';
        tool.args += call.function?.arguments ?? '';
        entry.tools.set(call.index, tool);
      }
      entry.finish = choice.finish_reason ?? entry.finish;
      choices.set(choice.index, entry);
    }
  }
  return {
    usage,
    choices: [...choices.entries()].map(([index, c]) => ({
      index,
      content: c.content,
      finish: c.finish,
      tools: [...c.tools.values()],
    })),
  };
}

async function chat(client: OpenAI, model: string, c: ChatCase) {
  return client.chat.completions.create({
    ...c.params,
    model,
  } as ChatCompletionCreateParamsNonStreaming);
}

async function stream(client: OpenAI, model: string, c: ChatCase) {
  const chunks: ChatCompletionChunk[] = [];
  const params = { ...c.params, model, stream: true } as ChatCompletionCreateParamsStreaming;
  for await (const chunk of await client.chat.completions.create(params)) chunks.push(chunk);
  return chunks;
}

async function expectRefusedByProvider(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  expect(error).toMatchObject({ status: 400, code: 'request.unsupported_by_provider' });
}

describe.each([
  ['openai-compatible', 'chat', new Set<string>()],
  ['anthropic', 'claude', NOT_FROM_ANTHROPIC],
] as const)('conformance through the %s provider', (provider, alias, drop) => {
  it.each(CHAT_CASES.filter((c) => c.only !== 'stream').map((c) => [c.name, c] as const))(
    'chat: %s',
    async (_name, c) => {
      if (provider === 'anthropic' && c.anthropic === 'refused') {
        await expectRefusedByProvider(chat(via, alias, c));
        return;
      }
      const expected = await chat(direct, 'upstream-chat', c);
      const actual = await chat(via, alias, c);
      expect(normalise(actual, drop)).toEqual(normalise(expected, drop));
    },
  );

  it.each(CHAT_CASES.filter((c) => c.only !== 'chat').map((c) => [c.name, c] as const))(
    'stream: %s',
    async (_name, c) => {
      if (provider === 'anthropic' && c.anthropic === 'refused') {
        await expectRefusedByProvider(stream(via, alias, c));
        return;
      }
      const expected = await stream(direct, 'upstream-chat', c);
      const actual = await stream(via, alias, c);
      // A pass-through provider keeps every chunk; a translation may cut them elsewhere.
      if (provider === 'openai-compatible') expect(normalise(actual)).toEqual(normalise(expected));
      expect(normalise(joined(actual), drop)).toEqual(normalise(joined(expected), drop));
    },
  );
});

describe('conformance of embeddings', () => {
  it.each(EMBEDDING_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const expected = await direct.embeddings.create({ ...c.params, model: 'upstream-embed' });
    const actual = await via.embeddings.create({ ...c.params, model: 'embed' });
    expect(normalise(actual)).toEqual(normalise(expected));
  });
});

/** What an app can branch on in an SDK error. */
async function refusal(client: OpenAI, model: string) {
  const error = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'Hello' }] })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const { status, type, code, param } = error as InstanceType<typeof OpenAI.APIError>;
  return { status, type, code, param };
}

describe('conformance of upstream refusals the request caused', () => {
  it.each(ERROR_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    h.mock.setOptions({
      errorResponse: {
        status: c.status,
        body: { error: { message: 'upstream words', ...c.openai } },
      },
    });
    const expected = await refusal(direct, 'fault:http-error');
    const before = h.mock.requests.length;
    const actual = await refusal(via, 'fault-http-error');
    expect(actual).toEqual(expected);
    expect(h.mock.requests.length - before).toBe(1);
    if (c.anthropicType !== undefined) {
      h.mock.setOptions({
        errorResponse: {
          status: c.status,
          body: { type: 'error', error: { type: c.anthropicType, message: 'upstream words' } },
        },
      });
      expect(await refusal(via, 'claude-http-error')).toEqual(expected);
    }
  });
});
