import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_DEFAULTS, collectSse, startMockUpstream, type MockUpstream } from '../src/index.js';
import { ANTHROPIC_HEADERS, MESSAGE, json, post, type AnthropicError } from './helpers.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

describe('POST /v1/messages', () => {
  it('answers a message in the Anthropic format', async () => {
    const res = await post(mock, '/v1/messages', MESSAGE, ANTHROPIC_HEADERS);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_/) as unknown,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: MOCK_DEFAULTS.reply }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 9, output_tokens: 12 },
    });
  });

  it('streams the documented event sequence', async () => {
    const res = await post(mock, '/v1/messages', { ...MESSAGE, stream: true }, ANTHROPIC_HEADERS);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = collectSse(await res.text());
    const names = events.map((e) => e.event);
    const n = MOCK_DEFAULTS.streamChunks;
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array<string>(n).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const data = events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    // Every event's data names its own type, as the real API's do.
    data.forEach((d, i) => expect(d.type).toBe(names[i]));
    expect(data[0]).toMatchObject({
      message: {
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        usage: { input_tokens: 9 },
      },
    });
    expect(data[1]).toMatchObject({ index: 0, content_block: { type: 'text', text: '' } });
    const text = data
      .slice(3, 3 + n)
      .map((d) => (d.delta as { type: string; text: string }).text)
      .join('');
    expect(text).toBe(MOCK_DEFAULTS.reply);
    expect(data.at(-2)).toMatchObject({
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 12 },
    });
  });

  it.each([
    ['no anthropic-version header', MESSAGE, { 'x-api-key': 'k' }],
    ['no max_tokens', { model: MESSAGE.model, messages: MESSAGE.messages }, ANTHROPIC_HEADERS],
    ['no messages', { model: MESSAGE.model, max_tokens: 10 }, ANTHROPIC_HEADERS],
    ['no model', { max_tokens: 10, messages: MESSAGE.messages }, ANTHROPIC_HEADERS],
  ])('refuses a request with %s as the real API does', async (_name, body, headers) => {
    const res = await post(mock, '/v1/messages', body, headers);
    expect(res.status).toBe(400);
    const error = await json<AnthropicError>(res);
    expect(error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.any(String) as unknown },
    });
  });

  it('answers malformed JSON with a 400 in the Anthropic error format', async () => {
    const res = await post(mock, '/v1/messages', '{"model":', ANTHROPIC_HEADERS);
    expect(res.status).toBe(400);
    expect((await json<AnthropicError>(res)).error.type).toBe('invalid_request_error');
  });
});
