import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

// The one place where the issue asks for a time bound in a test: a configured client timeout
// must cut a slow client when configured, not at Node's next 30-second connections check.
const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
const DRIP_MS = 50;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      server: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
    },
  });
});
afterAll(async () => {
  await h.close();
});

const port = () => (h.gateway.app.server.address() as { port: number }).port;

/**
 * Opens a raw connection, writes `head`, then keeps the connection busy by writing one more
 * piece every DRIP_MS (so that only a bound on the whole, never an idle timeout, can end it) and
 * resolves when the gateway ends the connection, with what it answered and when.
 */
function slowClient(
  head: string,
  drip: (n: number) => string,
  giveUpMs: number,
): Promise<{ elapsedMs: number; response: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port(), '127.0.0.1');
    let response = '';
    let n = 0;
    const dripper = setInterval(() => {
      if (socket.writable) socket.write(drip(n++));
    }, DRIP_MS);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    const done = () => {
      clearInterval(dripper);
      clearTimeout(giveUp);
      resolve({ elapsedMs: performance.now() - started, response });
    };
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.on('close', done);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The gateway may reset the connection while a drip is in flight: that is a cut too.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.write(head);
  });
}

/** Either the gateway answered 408 request.timeout in problem+json, or it closed without a word. */
function expectTimeoutOrClose(response: string) {
  if (response === '') return;
  expect(response).toMatch(/^HTTP\/1\.1 408 /);
  expect(response).toContain('application/problem+json');
  expect(response).toContain('"code":"request.timeout"');
}

describe('configured client timeouts fire when configured', () => {
  it('a client that never finishes its headers is cut soon after server.headersTimeoutMs', async () => {
    const { elapsedMs, response } = await slowClient(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n',
      (n) => `X-Slow-${n}: 1\r\n`,
      10 * HEADERS_TIMEOUT_MS,
    );
    expectTimeoutOrClose(response);
    expect(elapsedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS);
    expect(elapsedMs).toBeLessThan(2 * HEADERS_TIMEOUT_MS);
  });

  it('a client that never finishes its body is cut soon after server.requestTimeoutMs', async () => {
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    const padded = body.padEnd(4096, ' ');
    // Authenticated: without credentials it would be refused 401 before its body, not timed out.
    const { authorization, dpop } = await h.auth('POST', '/v1/chat/completions');
    const { elapsedMs, response } = await slowClient(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nAuthorization: ${authorization}\r\nDPoP: ${dpop}\r\nContent-Type: application/json\r\nContent-Length: ${padded.length}\r\n\r\n`,
      (n) => padded.charAt(n),
      10 * REQUEST_TIMEOUT_MS,
    );
    expectTimeoutOrClose(response);
    expect(elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(elapsedMs).toBeLessThan(2 * REQUEST_TIMEOUT_MS);
  });
});
