import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectSse, startMockUpstream, type MockFault, type MockUpstream } from '../src/index.js';
import {
  ANTHROPIC_HEADERS,
  CHAT,
  MESSAGE,
  json,
  post,
  readUntilBreak,
  reader,
  settlesWithin,
  waitFor,
  type AnthropicError,
  type OpenAiError,
} from './helpers.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterEach(() => mock.setFault(undefined));
afterAll(() => mock.close());

const STREAM = { ...CHAT, stream: true };

describe('HTTP error faults', () => {
  it.each([
    ['http-400', 400, 'invalid_request_error'],
    ['http-401', 401, 'invalid_request_error'],
    ['http-429', 429, 'requests'],
    ['http-500', 500, 'server_error'],
    ['http-503', 503, 'server_error'],
  ] as const)('%s answers %i in the OpenAI error format', async (fault, status, type) => {
    mock.setFault(fault);
    const res = await post(mock, '/v1/chat/completions', CHAT);
    expect(res.status).toBe(status);
    const body = await json<OpenAiError>(res);
    expect(body.error).toMatchObject({ type, param: null });
    expect(body.error.message).toContain(fault);
    expect(res.headers.get('retry-after')).toBe(status === 429 || status === 503 ? '1' : null);
  });

  it.each([
    ['http-400', 400, 'invalid_request_error'],
    ['http-401', 401, 'authentication_error'],
    ['http-429', 429, 'rate_limit_error'],
    ['http-500', 500, 'api_error'],
    ['http-503', 503, 'overloaded_error'],
  ] as const)('%s answers %i in the Anthropic error format', async (fault, status, type) => {
    mock.setFault(fault);
    const res = await post(mock, '/v1/messages', MESSAGE, ANTHROPIC_HEADERS);
    expect(res.status).toBe(status);
    const body = await json<AnthropicError>(res);
    expect(body).toEqual({
      type: 'error',
      error: { type, message: expect.stringContaining(fault) as unknown },
    });
  });

  it('sends the configured Retry-After', async () => {
    mock.setOptions({ fault: 'http-429', retryAfterSeconds: 7 });
    try {
      const res = await post(mock, '/v1/chat/completions', CHAT);
      expect(res.headers.get('retry-after')).toBe('7');
    } finally {
      mock.setOptions({ retryAfterSeconds: 1 });
    }
  });
});

describe('http-error plays the errorResponse option', () => {
  afterEach(() => mock.setOptions({ errorResponse: { status: 400 } }));

  it('answers the configured status, JSON body and headers, for one request by model name', async () => {
    const body = {
      error: {
        message: 'too long',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    };
    mock.setOptions({ errorResponse: { status: 400, body, headers: { 'x-request-id': 'req_1' } } });
    const res = await post(mock, '/v1/chat/completions', { ...CHAT, model: 'fault:http-error' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toBe('req_1');
    expect(await res.json()).toEqual(body);
  });

  it('sends a string body as it is, with the content type it is given', async () => {
    mock.setOptions({
      fault: 'http-error',
      errorResponse: {
        status: 502,
        body: '<html>bad gateway</html>',
        headers: { 'Content-Type': 'text/html' },
      },
    });
    const res = await post(mock, '/v1/chat/completions', CHAT);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toBe('<html>bad gateway</html>');
  });

  it.each([
    [
      403,
      '/v1/chat/completions',
      { error: { type: 'invalid_request_error', param: null, code: null } },
    ],
    [
      418,
      '/v1/chat/completions',
      { error: { type: 'invalid_request_error', param: null, code: null } },
    ],
    [529, '/v1/messages', { type: 'error', error: { type: 'api_error' } }],
    [404, '/v1/messages', { type: 'error', error: { type: 'not_found_error' } }],
  ] as const)(
    'defaults to the provider error body for status %i on %s',
    async (status, path, shape) => {
      mock.setOptions({ fault: 'http-error', errorResponse: { status } });
      const res = await post(
        mock,
        path,
        path === '/v1/messages' ? MESSAGE : CHAT,
        path === '/v1/messages' ? ANTHROPIC_HEADERS : {},
      );
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject(shape);
    },
  );

  it.each([
    { status: 399 },
    { status: 600 },
    { status: 400.5 },
    { status: 400, headers: { 'bad name': 'x' } },
  ])('refuses errorResponse %j with a RangeError', (errorResponse) => {
    expect(() => mock.setOptions({ errorResponse })).toThrow(RangeError);
  });
});

describe('body faults', () => {
  it('malformed-json answers 200 application/json that does not parse', async () => {
    mock.setFault('malformed-json');
    const res = await post(mock, '/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it('wrong-shape answers 200 with JSON that is not a completion', async () => {
    mock.setFault('wrong-shape');
    const res = await post(mock, '/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ foo: 1 });
  });
});

describe('stream faults', () => {
  it('cut-stream sends two chunks then drops the connection without [DONE]', async () => {
    mock.setFault('cut-stream');
    const res = await post(mock, '/v1/chat/completions', STREAM);
    expect(res.status).toBe(200);
    const { text, error } = await readUntilBreak(res);
    expect(error).toBeInstanceOf(Error);
    const events = collectSse(text);
    expect(events).toHaveLength(2);
    for (const event of events) expect(() => JSON.parse(event.data) as unknown).not.toThrow();
  });

  it('cut-stream on Anthropic stops right after the first text delta', async () => {
    mock.setFault('cut-stream');
    const res = await post(mock, '/v1/messages', { ...MESSAGE, stream: true }, ANTHROPIC_HEADERS);
    const { text, error } = await readUntilBreak(res);
    expect(error).toBeInstanceOf(Error);
    expect(collectSse(text).map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
    ]);
  });

  it('cut-stream on a non-streaming request breaks the body halfway', async () => {
    mock.setFault('cut-stream');
    const res = await post(mock, '/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('stream-garbage sends one valid chunk, then a data line that is not JSON', async () => {
    mock.setFault('stream-garbage');
    const res = await post(mock, '/v1/chat/completions', STREAM);
    const events = collectSse(await res.text());
    expect(events).toHaveLength(3);
    expect(() => JSON.parse(events[0]?.data ?? '') as unknown).not.toThrow();
    expect(() => JSON.parse(events[1]?.data ?? '') as unknown).toThrow(SyntaxError);
    expect(events[2]?.data).toBe('[DONE]');
  });

  it('stream-garbage on Anthropic breaks the data of a content_block_delta', async () => {
    mock.setFault('stream-garbage');
    const res = await post(mock, '/v1/messages', { ...MESSAGE, stream: true }, ANTHROPIC_HEADERS);
    const events = collectSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_delta',
      'message_stop',
    ]);
    expect(() => JSON.parse(events[1]?.data ?? '') as unknown).toThrow(SyntaxError);
  });

  it('hang-mid-stream sends one chunk and then nothing', async () => {
    mock.setFault('hang-mid-stream');
    const abort = new AbortController();
    try {
      const res = await post(mock, '/v1/chat/completions', STREAM, {}, abort.signal);
      expect(res.status).toBe(200);
      const body = reader(res);
      const first = await body.read();
      const events = collectSse(new TextDecoder().decode(first.value));
      expect(events).toHaveLength(1);
      expect(await settlesWithin(body.read(), 200)).toBe('pending');
    } finally {
      abort.abort();
    }
  });
});

describe('connection faults', () => {
  it('hang reads the request but never sends headers', async () => {
    mock.setFault('hang');
    const before = mock.requests.length;
    const pending = post(mock, '/v1/chat/completions', CHAT, {}, AbortSignal.timeout(200));
    await expect(pending).rejects.toThrow(/aborted|timeout/i);
    expect(mock.requests.length).toBe(before + 1);
  });

  it('reset drops the connection without a response', async () => {
    mock.setFault('reset');
    const error = await post(mock, '/v1/chat/completions', CHAT).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
  });
});

describe('choosing a fault per request with the model name', () => {
  it('applies fault:<name> to that request only', async () => {
    const faulty = await post(mock, '/v1/chat/completions', { ...CHAT, model: 'fault:http-500' });
    expect(faulty.status).toBe(500);
    const healthy = await post(mock, '/v1/chat/completions', CHAT);
    expect(healthy.status).toBe(200);
  });

  it('works for streams and for Anthropic too', async () => {
    const stream = await post(mock, '/v1/chat/completions', {
      ...STREAM,
      model: 'fault:cut-stream',
    });
    expect((await readUntilBreak(stream)).error).toBeInstanceOf(Error);
    const anthropic = await post(
      mock,
      '/v1/messages',
      { ...MESSAGE, model: 'fault:http-429' },
      ANTHROPIC_HEADERS,
    );
    expect(anthropic.status).toBe(429);
    expect((await json<AnthropicError>(anthropic)).error.type).toBe('rate_limit_error');
  });

  it('wins over the fault set in the options', async () => {
    mock.setFault('http-503');
    const res = await post(mock, '/v1/chat/completions', { ...CHAT, model: 'fault:http-429' });
    expect(res.status).toBe(429);
  });

  it('refuses an unknown fault name with a 400 that lists the known ones', async () => {
    const res = await post(mock, '/v1/chat/completions', { ...CHAT, model: 'fault:http-999' });
    expect(res.status).toBe(400);
    expect((await json<OpenAiError>(res)).error.message).toContain('http-503');
  });
});

describe('setFault', () => {
  it('applies to every endpoint until cleared', async () => {
    mock.setFault('http-503');
    expect((await fetch(`${mock.url}/v1/models`)).status).toBe(503);
    expect((await post(mock, '/v1/embeddings', { model: 'm', input: 'a' })).status).toBe(503);
    mock.setFault(undefined);
    expect((await fetch(`${mock.url}/v1/models`)).status).toBe(200);
  });

  it('refuses a fault that does not exist', () => {
    expect(() => mock.setFault('nope' as MockFault)).toThrow(RangeError);
  });
});

describe('close()', () => {
  it('ends hung requests and streams so that nothing waits forever', async () => {
    const own = await startMockUpstream();
    const hung = post(own, '/v1/chat/completions', { ...CHAT, model: 'fault:hang' }).then(
      () => 'answered',
      () => 'failed',
    );
    const midStream = await post(own, '/v1/chat/completions', {
      ...STREAM,
      model: 'fault:hang-mid-stream',
    });
    await waitFor(() => own.requests.length === 2);
    const body = readUntilBreak(midStream);
    expect(await settlesWithin(own.close(), 2_000)).toBeUndefined();
    expect(await settlesWithin(hung, 2_000)).toBe('failed');
    expect((await settlesWithin(body, 2_000)) as { error: unknown }).toMatchObject({
      error: expect.any(Error) as unknown,
    });
  });

  it('can be called twice', async () => {
    const own = await startMockUpstream();
    await own.close();
    await expect(own.close()).resolves.toBeUndefined();
  });
});
