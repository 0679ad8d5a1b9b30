import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStatusListSource, type StatusListSourceOptions } from './index.js';

// A local server stands in for android.googleapis.com: each path is one behaviour.
const LIST = JSON.stringify({
  entries: { abc: { status: 'REVOKED' }, def: { status: 'SUSPENDED' } },
});
let server: Server;
let base: string;
let hits = 0;
let switchBroken = false;
let stalled: ServerResponse[] = [];

function handle(request: IncomingMessage, response: ServerResponse): void {
  hits++;
  switch (request.url) {
    case '/list':
      response.writeHead(200, { 'content-type': 'application/json' }).end(LIST);
      return;
    case '/switch':
      if (switchBroken) response.writeHead(503).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end(LIST);
      return;
    case '/broken':
      response.writeHead(500).end('oops');
      return;
    case '/malformed':
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"entries":{"abc":{"status":"MAYBE"}}}');
      return;
    case '/huge-declared':
      response.writeHead(200, { 'content-length': String(10_000) }).end('x'.repeat(10_000));
      return;
    case '/huge-chunked':
      response.writeHead(200);
      for (let i = 0; i < 20; i++) response.write('x'.repeat(1000));
      response.end();
      return;
    case '/redirect':
      response.writeHead(302, { location: '/list' }).end();
      return;
    case '/stall':
      stalled.push(response);
      return;
    default:
      response.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const response of stalled) response.destroy();
  stalled = [];
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function sourceAt(
  path: string,
  now: { value: number },
  options: Partial<StatusListSourceOptions> = {},
) {
  return createStatusListSource({
    url: `${base}${path}`,
    clock: () => now.value,
    maxAgeMs: 60_000,
    limits: { maxBytes: 5_000, maxEntries: 100 },
    ...options,
  });
}

describe('the status list source', () => {
  it('is indeterminate until a list has been fetched', () => {
    const source = sourceAt('/list', { value: 1_000 });
    expect(source.current(1_000)).toMatchObject({
      outcome: 'indeterminate',
      reason: 'status_list_unavailable',
    });
  });

  it('fetches, caches and serves the list while it is younger than its maximum age', async () => {
    const now = { value: 1_000 };
    const source = sourceAt('/list', now);
    expect((await source.refresh()).outcome).toBe('valid');
    expect(source.fetchedAt).toBe(1_000);
    const current = source.current(1_000 + 60_000);
    expect(current.outcome === 'valid' && current.value.entries.get('abc')).toBe('REVOKED');
  });

  it('turns indeterminate once the cached list is older than its maximum age, and fresh again after a refresh', async () => {
    const now = { value: 1_000 };
    const source = sourceAt('/list', now);
    await source.refresh();
    expect(source.current(1_000 + 60_001)).toMatchObject({
      outcome: 'indeterminate',
      reason: 'status_list_unavailable',
    });
    now.value = 100_000;
    await source.refresh();
    expect(source.current(100_000 + 1).outcome).toBe('valid');
  });

  it('keeps the last good list when a refresh fails, until that list ages out', async () => {
    const now = { value: 1_000 };
    const source = sourceAt('/switch', now);
    switchBroken = false;
    expect((await source.refresh()).outcome).toBe('valid');
    switchBroken = true;
    now.value = 30_000;
    expect(await source.refresh()).toMatchObject({ reason: 'status_list_unreachable' });
    expect(source.current(30_000).outcome).toBe('valid');
    expect(source.fetchedAt).toBe(1_000);
    expect(source.current(1_000 + 60_001).outcome).toBe('indeterminate');
  });

  it('reports an HTTP error as unreachable and caches nothing', async () => {
    const source = sourceAt('/broken', { value: 1_000 });
    expect(await source.refresh()).toMatchObject({
      outcome: 'indeterminate',
      reason: 'status_list_unreachable',
    });
    expect(source.current(1_000).outcome).toBe('indeterminate');
  });

  it('refuses a list that does not validate and caches nothing', async () => {
    const source = sourceAt('/malformed', { value: 1_000 });
    expect(await source.refresh()).toMatchObject({
      outcome: 'invalid',
      reason: 'status_list_malformed',
    });
    expect(source.current(1_000).outcome).toBe('indeterminate');
  });

  it('stops reading a body over the byte bound, declared or streamed', async () => {
    for (const path of ['/huge-declared', '/huge-chunked']) {
      const source = sourceAt(path, { value: 1_000 });
      expect(await source.refresh(), path).toMatchObject({
        outcome: 'invalid',
        reason: 'too_large',
      });
      expect(source.current(1_000).outcome).toBe('indeterminate');
    }
  });

  it('does not follow redirects', async () => {
    const source = sourceAt('/redirect', { value: 1_000 });
    expect(await source.refresh()).toMatchObject({
      outcome: 'indeterminate',
      reason: 'status_list_unreachable',
    });
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const source = sourceAt('/stall', { value: 1_000 }, { timeoutMs: 150 });
    expect(await source.refresh()).toMatchObject({
      outcome: 'indeterminate',
      reason: 'status_list_unreachable',
      detail: 'timed out',
    });
  });

  it('refreshes periodically once started, and stops when asked', async () => {
    const source = sourceAt('/list', { value: 1_000 }, { refreshIntervalMs: 20 });
    const before = hits;
    source.start();
    await vi.waitFor(() => expect(hits - before).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    source.stop();
    expect(source.current(1_000).outcome).toBe('valid');
  });
});
