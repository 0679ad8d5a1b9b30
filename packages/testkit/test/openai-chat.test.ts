import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_DEFAULTS, collectSse, startMockUpstream, type MockUpstream } from '../src/index.js';
import { CHAT, json, post, readUntilBreak, type ChatChunk, type OpenAiError } from './helpers.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

const deltas = (chunks: ChatChunk[]): string =>
  chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

async function streamChunks(body: Record<string, unknown>): Promise<{
  events: ReturnType<typeof collectSse>;
  chunks: ChatChunk[];
}> {
  const res = await post(mock, '/v1/chat/completions', body);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events = collectSse(await res.text());
  const chunks = events
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data) as ChatChunk);
  return { events, chunks };
}

describe('POST /v1/chat/completions', () => {
  it('answers a chat.completion that echoes the requested model', async () => {
    const res = await post(mock, '/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await json(res);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: MOCK_DEFAULTS.reply },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.created).toBeTypeOf('number');
  });

  it('gives every completion its own id', async () => {
    const a = await json(await post(mock, '/v1/chat/completions', CHAT));
    const b = await json(await post(mock, '/v1/chat/completions', CHAT));
    expect(a.id).not.toBe(b.id);
  });

  it('streams role, content deltas and finish in order, then [DONE]', async () => {
    const { events, chunks } = await streamChunks({ ...CHAT, stream: true });
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    expect(chunks).toHaveLength(1 + MOCK_DEFAULTS.streamChunks + 1);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.at(-1)?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    for (const chunk of chunks.slice(1, -1)) {
      expect(chunk.choices[0]?.finish_reason).toBeNull();
    }
    expect(deltas(chunks)).toBe(MOCK_DEFAULTS.reply);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: chunks[0]?.id,
        object: 'chat.completion.chunk',
        model: 'gpt-4o-mini',
      });
      expect(chunk).not.toHaveProperty('usage');
    }
  });

  it('sends a usage chunk with empty choices when include_usage is set', async () => {
    const { events, chunks } = await streamChunks({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(events.at(-1)?.data).toBe('[DONE]');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 12,
      total_tokens: 21,
    });
    // As the real API does: every other chunk carries `usage: null`.
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
  });

  it('honours streamChunks and reply', async () => {
    mock.setOptions({ streamChunks: 3, reply: 'one two three' });
    try {
      const { chunks } = await streamChunks({ ...CHAT, stream: true });
      expect(chunks).toHaveLength(5);
      expect(deltas(chunks)).toBe('one two three');
    } finally {
      mock.setOptions({ streamChunks: MOCK_DEFAULTS.streamChunks, reply: MOCK_DEFAULTS.reply });
    }
  });

  it('spaces chunks by streamIntervalMs so they arrive separately', async () => {
    mock.setOptions({ streamChunks: 4, streamIntervalMs: 25 });
    try {
      const res = await post(mock, '/v1/chat/completions', { ...CHAT, stream: true });
      const { text, reads, error } = await readUntilBreak(res);
      expect(error).toBeUndefined();
      expect(collectSse(text).at(-1)?.data).toBe('[DONE]');
      // Role + first delta arrive together; each later delta and the closing events after a pause.
      expect(reads).toBeGreaterThanOrEqual(4);
    } finally {
      mock.setOptions({ streamChunks: MOCK_DEFAULTS.streamChunks, streamIntervalMs: 0 });
    }
  });

  it('waits latencyMs before answering', async () => {
    mock.setOptions({ latencyMs: 120 });
    try {
      const started = Date.now();
      const res = await post(mock, '/v1/chat/completions', CHAT);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    } finally {
      mock.setOptions({ latencyMs: 0 });
    }
  });

  it.each([
    ['no model', { messages: CHAT.messages }],
    ['no messages', { model: 'gpt-4o-mini' }],
    ['empty messages', { model: 'gpt-4o-mini', messages: [] }],
    ['stream_options without stream', { ...CHAT, stream_options: { include_usage: true } }],
  ])('refuses a request with %s as the real API does', async (_name, body) => {
    const res = await post(mock, '/v1/chat/completions', body);
    expect(res.status).toBe(400);
    const error = await json<OpenAiError>(res);
    expect(error.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
  });
});

describe('GET /v1/models', () => {
  it('lists models in the OpenAI list format', async () => {
    const res = await fetch(`${mock.url}/v1/models`);
    expect(res.status).toBe(200);
    const body = await json<{ object: string; data: Array<Record<string, unknown>> }>(res);
    expect(body.object).toBe('list');
    expect(body.data.length).toBeGreaterThan(0);
    for (const model of body.data) {
      expect(model).toMatchObject({ object: 'model', owned_by: 'rampart' });
      expect(model.id).toBeTypeOf('string');
      expect(model.created).toBeTypeOf('number');
    }
  });
});
