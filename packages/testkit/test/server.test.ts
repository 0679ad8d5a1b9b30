import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startMockUpstream, type MockUpstream } from '../src/index.js';
import {
  ANTHROPIC_HEADERS,
  CHAT,
  json,
  post,
  type AnthropicError,
  type OpenAiError,
} from './helpers.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

describe('startMockUpstream', () => {
  it('listens on an ephemeral 127.0.0.1 port and names it in url', () => {
    expect(mock.port).toBeGreaterThan(0);
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
  });

  it('refuses invalid options by name', async () => {
    await expect(startMockUpstream({ streamChunks: 0 })).rejects.toThrow(/streamChunks/);
    expect(() => mock.setOptions({ latencyMs: -1 })).toThrow(/latencyMs/);
    expect(() => mock.setOptions({ usage: { promptTokens: 1.5, completionTokens: 1 } })).toThrow(
      /usage\.promptTokens/,
    );
  });
});

describe('recording', () => {
  it('records method, path with query, headers and parsed body, in order', async () => {
    mock.requests.length = 0;
    await post(mock, '/v1/chat/completions?api-version=2024-10-21', CHAT, {
      authorization: 'Bearer sk-test',
    });
    await fetch(`${mock.url}/v1/models`);
    expect(mock.requests).toHaveLength(2);
    const [chat, models] = mock.requests;
    expect(chat).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions?api-version=2024-10-21',
      body: CHAT,
    });
    expect(chat?.headers.authorization).toBe('Bearer sk-test');
    expect(models).toMatchObject({ method: 'GET', path: '/v1/models', body: undefined });
  });

  it('keeps the raw text of a body that is not JSON', async () => {
    await post(mock, '/v1/chat/completions', 'not json');
    expect(mock.requests.at(-1)?.body).toBe('not json');
  });

  it('keeps only the newest recordLimit requests', async () => {
    const own = await startMockUpstream({ recordLimit: 3 });
    try {
      for (let i = 0; i < 5; i++) await post(own, '/v1/embeddings', { model: `m${i}`, input: 'a' });
      expect(own.requests.map((r) => (r.body as { model: string }).model)).toEqual([
        'm2',
        'm3',
        'm4',
      ]);
    } finally {
      await own.close();
    }
  });
});

describe('strict fields', () => {
  it('answers a request carrying a field named in refuseFields with 422 naming it, and others as usual', async () => {
    const strict = await startMockUpstream({ refuseFields: ['stream_options'] });
    try {
      const refused = await post(strict, '/v1/chat/completions', {
        ...CHAT,
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(refused.status).toBe(422);
      expect((await json<OpenAiError>(refused)).error).toMatchObject({ param: 'stream_options' });
      expect((await post(strict, '/v1/chat/completions', CHAT)).status).toBe(200);
    } finally {
      await strict.close();
    }
    expect(() => mock.setOptions({ refuseFields: [''] })).toThrow(/refuseFields/);
  });
});

describe('bad requests', () => {
  it('answers malformed JSON with an OpenAI 400', async () => {
    const res = await post(mock, '/v1/chat/completions', '{"model": "gpt-4o-mini",');
    expect(res.status).toBe(400);
    expect((await json<OpenAiError>(res)).error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('JSON') as unknown,
    });
  });

  it.each([['[1,2]'], ['"text"'], ['null'], ['']])(
    'answers the body %j with a 400, not a crash',
    async (body) => {
      const res = await post(mock, '/v1/chat/completions', body);
      expect(res.status).toBe(400);
    },
  );

  it('answers an unknown path or method with a 404 in the matching dialect', async () => {
    const openai = await post(mock, '/v1/completions', CHAT);
    expect(openai.status).toBe(404);
    expect((await json<OpenAiError>(openai)).error.message).toBe(
      'Invalid URL (POST /v1/completions)',
    );
    const get = await fetch(`${mock.url}/v1/chat/completions`);
    expect(get.status).toBe(404);
    const anthropic = await post(mock, '/v1/messages/batches', {}, ANTHROPIC_HEADERS);
    expect(anthropic.status).toBe(404);
    expect((await json<AnthropicError>(anthropic)).error.type).toBe('not_found_error');
  });

  it('refuses a body over the limit with 413', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const res = await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect((await json<OpenAiError>(res)).error.type).toBe('invalid_request_error');
    expect(mock.requests.at(-1)?.body).toBeUndefined();
  });

  it('refuses a chunked body that grows over the limit with 413', async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ > MAX_BODY_BYTES / chunk.length) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${mock.url}/v1/messages`, {
      method: 'POST',
      body,
      headers: ANTHROPIC_HEADERS,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect((await json<AnthropicError>(res)).error.type).toBe('request_too_large');
  });

  it('keeps serving after all of that', async () => {
    expect((await post(mock, '/v1/chat/completions', CHAT)).status).toBe(200);
  });
});
