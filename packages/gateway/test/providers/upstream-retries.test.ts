import type { ServerResponse } from 'node:http';
import { startMockUpstream } from '@rampart/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAICompatibleProvider } from '../../src/providers/openai-compatible/index.js';
import { DEFAULT_RETRY_TUNING, type RetryTuning } from '../../src/providers/http/retry.js';
import type { Provider } from '../../src/providers/types.js';
import {
  callOptions,
  chatBody,
  closedPort,
  expectCatalogue,
  failure,
  settingsFor,
  sleep,
  startServer,
  streamOutcome,
  type AdHocServer,
} from './helpers.js';

const FAST: RetryTuning = { ...DEFAULT_RETRY_TUNING, backoffBaseMs: 20, random: () => 0.5 };
const OK = JSON.stringify({ id: 'c', object: 'chat.completion', choices: [] });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Serves the given responses in order (the last one repeats); counts the requests. */
async function sequence(...steps: ((res: ServerResponse) => void)[]): Promise<{
  server: AdHocServer;
  count: () => number;
}> {
  let count = 0;
  const server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => steps[Math.min(count++, steps.length - 1)]!(res));
  });
  cleanups.push(() => server.close());
  return { server, count: () => count };
}

function provider(origin: string, maxRetries: number): Provider {
  const created = createOpenAICompatibleProvider(
    settingsFor('openai-compatible', origin, { maxRetries }),
    FAST,
  );
  cleanups.push(() => created.close());
  return created;
}

const status =
  (code: number, headers: Record<string, string> = {}) =>
  (res: ServerResponse) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end('{"error":{"type":"x"}}');
  };
const ok = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(OK);
};

describe('retries', () => {
  it('retries a 429 whose Retry-After is short, and succeeds', async () => {
    const { server, count } = await sequence(status(429, { 'retry-after': '0' }), ok);
    const result = await provider(server.origin, 2).chat(chatBody(), callOptions());
    expect(result.body.id).toBe('c');
    expect(count()).toBe(2);
  });

  it('retries a 503 with a short Retry-After, but not one without', async () => {
    const retried = await sequence(status(503, { 'retry-after': '0' }), ok);
    await provider(retried.server.origin, 1).chat(chatBody(), callOptions());
    expect(retried.count()).toBe(2);

    const plain = await sequence(status(503), ok);
    const error = await failure(provider(plain.server.origin, 3).chat(chatBody(), callOptions()));
    expectCatalogue(error, 'upstream.server_error');
    expect(plain.count()).toBe(1);
  });

  it('does not wait out a long Retry-After: the client gets rate_limited with the delay', async () => {
    const { server, count } = await sequence(status(429, { 'retry-after': '30' }), ok);
    const error = await failure(provider(server.origin, 3).chat(chatBody(), callOptions()));
    const rampart = expectCatalogue(error, 'upstream.rate_limited');
    expect(rampart.extensions).toEqual({ retryAfter: 30 });
    expect(count()).toBe(1);
  });

  it('gives up after maxRetries', async () => {
    const { server, count } = await sequence(status(429, { 'retry-after': '0' }));
    const error = await failure(provider(server.origin, 2).chat(chatBody(), callOptions()));
    expectCatalogue(error, 'upstream.rate_limited');
    expect(count()).toBe(3);
  });

  it('never retries a 500, which the upstream may have half processed', async () => {
    const { server, count } = await sequence(status(500), ok);
    const error = await failure(provider(server.origin, 3).chat(chatBody(), callOptions()));
    expectCatalogue(error, 'upstream.server_error');
    expect(count()).toBe(1);
  });

  it('never retries a connection reset after the request was sent', async () => {
    const mock = await startMockUpstream({ fault: 'reset' });
    cleanups.push(() => mock.close());
    const error = await failure(provider(mock.url, 3).chat(chatBody(), callOptions()));
    expectCatalogue(error, 'upstream.unreachable');
    expect(mock.requests).toHaveLength(1);
  });

  it('never retries once a stream has started', async () => {
    const mock = await startMockUpstream({ fault: 'cut-stream' });
    cleanups.push(() => mock.close());
    const { chunks, error } = await streamOutcome(provider(mock.url, 3), chatBody());
    expect(chunks.length).toBeGreaterThan(0);
    expectCatalogue(error, 'upstream.stream_interrupted');
    expect(mock.requests).toHaveLength(1);
  });

  it('retries a refused connection and succeeds once the upstream listens', async () => {
    const port = await closedPort();
    const adapter = provider(`http://127.0.0.1:${port}`, 5);
    const pending = adapter.chat(chatBody(), callOptions());
    // A local connect is refused within a millisecond; backoff is then 15, 30, 60… ms, so the
    // upstream comes up during it, after at least one refusal.
    await sleep(40);
    const mock = await startMockUpstream({ port });
    cleanups.push(() => mock.close());
    const result = await pending;
    expect(result.body.object).toBe('chat.completion');
    expect(mock.requests).toHaveLength(1);
  });

  it('stops retrying the moment the client aborts, with the abort reason', async () => {
    const { server, count } = await sequence(status(429, { 'retry-after': '1' }));
    const controller = new AbortController();
    const reason = new Error('client went away');
    const started = Date.now();
    setTimeout(() => controller.abort(reason), 50);
    const error = await failure(
      provider(server.origin, 5).chat(chatBody(), callOptions(controller.signal)),
    );
    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(900);
    expect(count()).toBe(1);
  });
});
