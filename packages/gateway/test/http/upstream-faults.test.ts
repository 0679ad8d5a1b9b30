import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_KEY, hello, readSse, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      providers: {
        down: {
          type: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:9/v1',
          apiKeyEnv: 'MOCK_KEY',
          maxRetries: 0,
        },
      },
      models: { 'down-chat': { provider: 'down', model: 'x' } },
    },
  });
});
afterAll(async () => {
  await h.close();
});

const CHAT = '/v1/chat/completions';

describe('upstream faults reach the client as problem+json with stable codes', () => {
  it.each([
    ['fault-http-500', 502, 'upstream.server_error'],
    ['fault-http-503', 502, 'upstream.server_error'],
    ['fault-http-429', 503, 'upstream.rate_limited'],
    ['fault-http-401', 502, 'upstream.auth_failed'],
    ['fault-http-400', 400, 'upstream.request_invalid'],
    ['fault-http-error', 400, 'upstream.request_invalid'],
    ['fault-malformed-json', 502, 'upstream.malformed_response'],
    ['fault-wrong-shape', 502, 'upstream.malformed_response'],
    ['fault-reset', 502, 'upstream.unreachable'],
    ['fault-hang', 504, 'upstream.timeout'],
    ['down-chat', 502, 'upstream.unreachable'],
  ])('%s → %i %s', async (model, status, code) => {
    const response = await h.post(CHAT, hello(model));
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code, status });
    expect(text).not.toContain(PROVIDER_KEY);
  });

  it('a 429 upstream carries Retry-After to the client', async () => {
    const response = await h.post(CHAT, hello('fault-http-429'));
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it.each([
    ['fault-cut-stream', 'upstream.stream_interrupted'],
    ['fault-stream-garbage', 'upstream.malformed_response'],
    ['fault-hang-mid-stream', 'upstream.timeout'],
  ])(
    'a stream broken mid-way (%s) ends with a terminal SSE error event and no [DONE]',
    async (model, code) => {
      const response = await h.post(CHAT, hello(model, { stream: true }));
      expect(response.status).toBe(200);
      const events = await readSse(response);
      const last = events.at(-1);
      expect(last?.event).toBe('error');
      expect(JSON.parse(last?.data ?? '{}')).toMatchObject({ code });
      expect(events.some((e) => e.data === '[DONE]')).toBe(false);
    },
  );

  it('a fault before the first byte of a stream is still a problem+json response', async () => {
    const response = await h.post(CHAT, hello('fault-http-500', { stream: true }));
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('the gateway stays up, and the provider key is in no log line', async () => {
    expect((await h.post(CHAT, hello('chat'))).status).toBe(200);
    expect(h.logs()).not.toContain(PROVIDER_KEY);
    expect(h.logs()).not.toContain(PROVIDER_KEY.slice(0, 16));
  });
});
