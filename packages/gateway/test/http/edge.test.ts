import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

interface RawAnswer {
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly raw: string;
}

/**
 * Writes bytes on a fresh connection and reads until the server closes it (or 3 s pass).
 * `halfClose` ends the client's side at once, as a fuzzer must (a request that announces more
 * body than it sends would otherwise wait for the timeout); Node may then close without
 * answering a request still in progress.
 */
function raw(request: string | Buffer, halfClose = false): Promise<RawAnswer> {
  const { port } = new URL(h.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
      resolve({
        status: status === undefined ? undefined : Number(status),
        headers,
        body: rest.join('\r\n\r\n'),
        raw: text,
      });
    };
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

function expectProblem(answer: RawAnswer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toContain('application/problem+json');
  expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  const body = decodeBody(answer);
  expect(body).toMatchObject({ code, status, requestId: answer.headers['x-request-id'] });
}

/** The body, de-chunked when the answer was sent chunked. */
function decodeBody(answer: RawAnswer): unknown {
  let text = answer.body;
  if (answer.headers['transfer-encoding'] === 'chunked') {
    let out = '';
    let rest = text;
    for (;;) {
      const end = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, end), 16);
      if (!(size > 0)) break;
      out += rest.slice(end + 2, end + 2 + size);
      rest = rest.slice(end + 2 + size + 2);
    }
    text = out;
  }
  return JSON.parse(text) as unknown;
}

const chat = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });

/** A chat POST framed by hand, with `headers` and the credential lines (a fresh DPoP proof). */
async function post(headers: string, body = chat): Promise<string> {
  const { authorization, dpop } = await h.auth('POST', '/v1/chat/completions');
  return `POST /v1/chat/completions HTTP/1.1\r\n${headers}Authorization: ${authorization}\r\nDPoP: ${dpop}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

describe('every answer is problem+json, with a request id, an access line and a metric', () => {
  it('a malformed percent-encoding in the path, without echoing it', async () => {
    const answer = await raw(
      'GET /v1/chat/%zz<script> HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    expectProblem(answer, 400, 'request.bad_request');
    expect(answer.body).not.toContain('script');
  });

  it('a request without Host (HTTP/1.1 requires one)', async () => {
    expectProblem(
      await raw('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'),
      400,
      'request.invalid_host',
    );
  });

  it('an HTTP/1.0 request without Host is fine', async () => {
    const answer = await raw('GET /healthz HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
  });

  it('two Host headers are refused, not guessed between (RFC 9112 §3.2)', async () => {
    const before = h.mock.requests.length;
    expectProblem(await raw(await post('Host: a\r\nHost: b\r\n')), 400, 'request.invalid_host');
    expectProblem(
      await raw('GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n'),
      400,
      'request.invalid_host',
    );
    expect(h.mock.requests.length).toBe(before);
  });

  it.each(['gzip', 'br', 'deflate', 'identity, gzip', 'x-unknown'])(
    'a body with Content-Encoding %s is refused with 415, never parsed as plain',
    async (encoding) => {
      const before = h.mock.requests.length;
      expectProblem(
        await raw(await post(`Host: a\r\nContent-Encoding: ${encoding}\r\n`)),
        415,
        'request.unsupported_content_encoding',
      );
      expect(h.mock.requests.length).toBe(before);
    },
  );

  it('Content-Encoding: identity is plain', async () => {
    const answer = await raw(await post('Host: a\r\nContent-Encoding: identity\r\n'));
    expect(answer.status).toBe(200);
  });

  it('an Expect other than 100-continue gets 417 problem+json, not an empty body', async () => {
    expectProblem(
      await raw(await post('Host: a\r\nExpect: 200-ok\r\n')),
      417,
      'request.expectation_failed',
    );
  });

  it('a request line that is not HTTP, answered at socket level, still has an id and a log line', async () => {
    const answer = await raw('HELLO THERE\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'request.bad_request',
      requestId: answer.headers['x-request-id'],
    });
    expect(h.logs()).toContain(`"reqId":"${answer.headers['x-request-id']}"`);
  });

  it('each of those answers left an access line and a metric', async () => {
    // Its own requests, so that the test holds in any order.
    await raw(await post('Host: a\r\nExpect: 200-ok\r\n'));
    await raw('HELLO THERE\r\n\r\n');
    const answer = await raw('GET /v1/%zz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const id = answer.headers['x-request-id'] ?? 'none';
    const line = h
      .logs()
      .split('\n')
      .find((l) => l.includes(id) && l.includes('"msg":"request"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({ status: 400 });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/rampart_http_requests_total\{[^}]*status="417"\} \d+/);
    expect(metrics).toMatch(
      /rampart_http_requests_total\{route="\(unparsed\)"[^}]*status="400"\} \d+/,
    );
  });

  it('generated malformed requests: problem+json or a closed connection, never anything else', async () => {
    // With a valid (unbound) token on every request, so that malformed ones get past authenticate.
    const authorization = `Authorization: ${await h.bearer()}`;
    const token = fc.stringMatching(/^[!-~]{0,12}$/);
    const line = fc.oneof(
      fc.constantFrom('GET', 'POST', 'PUT', 'G\u0000T', '', 'POST /v1/chat/completions'),
      token,
    );
    const path = fc.oneof(
      fc.constantFrom('/v1/chat/completions', '/healthz', '/%', '/%zz', '*', '//', '/v1/../x', ''),
      token.map((t) => `/${t}`),
    );
    const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', 'HTTP/1.1 x', '');
    const header = fc.oneof(
      fc.constantFrom(
        'Host: a',
        'Host: a\r\nHost: b',
        'Content-Length: 5',
        'Content-Length: -1',
        'Content-Length: 1\r\nContent-Length: 2',
        'Transfer-Encoding: chunked',
        'Transfer-Encoding: chunked\r\nContent-Length: 3',
        'Content-Encoding: gzip',
        'Expect: nope',
        'Content-Type: application/json',
        ': empty name',
        'No colon',
        'X: \u0001',
      ),
      fc.tuple(token, token).map(([name, value]) => `${name}: ${value}`),
    );
    const request = fc
      .tuple(line, path, version, fc.array(header, { maxLength: 5 }), fc.string({ maxLength: 40 }))
      .map(
        ([method, target, proto, headers, body]) =>
          `${method} ${target} ${proto}\r\n${authorization}\r\n${headers.join('\r\n')}${headers.length > 0 ? '\r\n' : ''}Connection: close\r\n\r\n${body}`,
      );
    await fc.assert(
      fc.asyncProperty(request, async (text) => {
        const answer = await raw(text, true);
        if (answer.raw === '') return; // closed with nothing: allowed where HTTP allows nothing
        expect(answer.status).toBeDefined();
        if ((answer.status ?? 0) >= 400) {
          expect(answer.headers['content-type']).toContain('application/problem+json');
          expect(answer.headers['x-request-id']).toBeDefined();
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('drain that load balancers can follow', () => {
  it('for drainDelayMs, /readyz and /v1 answer 503 while /healthz stays 200; then the listener closes', async () => {
    const d = await startHarness({ config: { server: { drainDelayMs: 600 } } });
    try {
      const closing = d.gateway.close();
      const ready = await fetch(`${d.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ code: 'server.shutting_down' });
      expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
      const v1 = await d.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chat,
      });
      expect(v1.status).toBe(503);
      expect(v1.headers.get('content-type')).toContain('application/problem+json');
      expect(await v1.json()).toMatchObject({ code: 'server.shutting_down' });
      await closing;
      await expect(fetch(`${d.url}/healthz`)).rejects.toThrow();
    } finally {
      await d.close();
    }
  });
});
