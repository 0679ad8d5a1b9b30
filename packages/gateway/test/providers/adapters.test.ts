import { startMockUpstream, type MockUpstream } from '@rampart/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROVIDER_FACTORIES, createProvider } from '../../src/providers/index.js';
import { PROVIDER_TYPES, type JsonObject, type Provider } from '../../src/providers/types.js';
import { KEY, callOptions, chatBody, settingsFor, streamOutcome } from './helpers.js';

const REPLY = 'Hello from the mock upstream, in several pieces.';
const USAGE = { promptTokens: 9, completionTokens: 12, totalTokens: 21 };

let mock: MockUpstream;
let openai: Provider;
let anthropic: Provider;

beforeAll(async () => {
  mock = await startMockUpstream({ reply: REPLY, streamChunks: 4 });
  openai = createProvider(settingsFor('openai-compatible', mock.url));
  anthropic = createProvider(settingsFor('anthropic', mock.url));
});

afterAll(async () => {
  await Promise.all([openai.close(), anthropic.close()]);
  await mock.close();
});

beforeEach(() => {
  mock.requests.length = 0;
});

const lastRequest = () => mock.requests.at(-1)!;
const contentOf = (chunks: JsonObject[]): string =>
  chunks
    .flatMap((chunk) => (chunk.choices as { delta?: { content?: string } }[]) ?? [])
    .map((choice) => choice.delta?.content ?? '')
    .join('');

describe('the provider registry', () => {
  it('has one factory per provider type and builds the adapter the settings name', () => {
    expect(Object.keys(PROVIDER_FACTORIES).sort()).toEqual([...PROVIDER_TYPES].sort());
    expect(openai.type).toBe('openai-compatible');
    expect(anthropic.type).toBe('anthropic');
  });
});

describe('the openai-compatible adapter', () => {
  it('returns the completion and its usage, sending the key only as a bearer header', async () => {
    const result = await openai.chat(chatBody('gpt-test', { stream: false }), callOptions());
    expect(result.body).toMatchObject({ object: 'chat.completion', model: 'gpt-test' });
    expect(result.usage).toEqual(USAGE);
    const request = lastRequest();
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request.headers['api-key']).toBeUndefined();
    expect(request.headers['x-api-key']).toBeUndefined();
    expect(request.body).toEqual(chatBody('gpt-test'));
    expect(Object.keys(request.headers).sort()).toEqual(
      ['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host'].sort(),
    );
  });

  it('speaks Azure: api-key header and api-version query', async () => {
    const azure = createProvider(
      settingsFor('openai-compatible', mock.url, {
        baseUrl: `${mock.url}/v1`,
        authHeader: 'api-key',
        query: { 'api-version': 'preview' },
      }),
    );
    try {
      await azure.chat(chatBody(), callOptions());
      const request = lastRequest();
      expect(request.path).toBe('/v1/chat/completions?api-version=preview');
      expect(request.headers['api-key']).toBe(KEY);
      expect(request.headers.authorization).toBeUndefined();
    } finally {
      await azure.close();
    }
  });

  it('sends no key header at all to a keyless upstream such as Ollama', async () => {
    const ollama = createProvider(
      settingsFor('openai-compatible', mock.url, {
        apiKey: undefined,
        headers: { 'X-Extra': '1' },
      }),
    );
    try {
      await ollama.chat(chatBody(), callOptions());
      const { headers } = lastRequest();
      expect(headers.authorization).toBeUndefined();
      expect(headers['x-extra']).toBe('1');
    } finally {
      await ollama.close();
    }
  });

  it('returns embeddings and their usage', async () => {
    const result = await openai.embeddings({ model: 'emb', input: ['a', 'b'] }, callOptions());
    expect(result.body.data).toHaveLength(2);
    expect(result.usage).toMatchObject({ promptTokens: 9, completionTokens: 0 });
    expect(lastRequest().path).toBe('/v1/embeddings');
  });

  it('streams chunks, meters usage, and hides the usage chunk the client did not ask for', async () => {
    const stream = await openai.chatStream(chatBody('gpt-test', { stream: true }), callOptions());
    const chunks: JsonObject[] = [];
    for await (const batch of stream.chunks) chunks.push(...batch);
    expect(contentOf(chunks)).toBe(REPLY);
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
    expect(stream.usage()).toEqual(USAGE);
    expect(lastRequest().body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('forwards the usage chunk to a client that asked for it', async () => {
    const { chunks, error } = await streamOutcome(
      openai,
      chatBody('gpt-test', { stream_options: { include_usage: true } }),
    );
    expect(error).toBeUndefined();
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 21 } });
  });
});

describe('the anthropic adapter', () => {
  it('translates a chat completion through the Messages API', async () => {
    const result = await anthropic.chat(
      chatBody('claude-test', {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      }),
      callOptions(),
    );
    expect(result.body).toMatchObject({
      object: 'chat.completion',
      model: 'claude-test',
      choices: [{ message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
    });
    expect(result.usage).toEqual(USAGE);
    const request = lastRequest();
    expect(request.path).toBe('/v1/messages');
    expect(request.headers['x-api-key']).toBe(KEY);
    expect(request.headers['anthropic-version']).toBe('2023-06-01');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body).toMatchObject({ system: 'Be brief.', max_tokens: 4096 });
  });

  it('streams translated chunks with one id and the usage at the end', async () => {
    const stream = await anthropic.chatStream(chatBody('claude-test'), callOptions());
    const chunks: JsonObject[] = [];
    for await (const batch of stream.chunks) chunks.push(...batch);
    expect(contentOf(chunks)).toBe(REPLY);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'stop' }] });
    expect(stream.usage()).toEqual(USAGE);
    expect(lastRequest().body).toMatchObject({ stream: true });
  });

  it('refuses an untranslatable parameter before calling the upstream', async () => {
    await expect(
      anthropic.chat(chatBody('claude-test', { n: 2 }), callOptions()),
    ).rejects.toMatchObject({
      code: 'request.unsupported_by_provider',
    });
    expect(mock.requests).toHaveLength(0);
  });
});
