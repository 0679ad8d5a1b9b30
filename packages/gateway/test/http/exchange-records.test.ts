import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMockIssuer, type MockIssuer } from '@rampart/testkit';
import { hello, readSse, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;

// One mock issuer for every harness of this file (minting its keys is the slow part of a start).
let issuer: MockIssuer;
beforeAll(async () => {
  issuer = await startMockIssuer();
});
afterAll(() => issuer.close());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function usageRows(harness: Harness, count: number) {
  let rows: Awaited<ReturnType<Harness['gateway']['store']['usage']['recent']>> = [];
  // The recorder writes in batches behind the request path (about once a second).
  await vi.waitFor(
    async () => {
      rows = await harness.gateway.store.usage.recent(100);
      expect(rows.length).toBeGreaterThanOrEqual(count);
    },
    { timeout: 5000, interval: 100 },
  );
  return rows;
}

function accessLines(harness: Harness): Array<Record<string, unknown>> {
  return harness
    .logs()
    .split('\n')
    .filter((line) => line.includes('"msg":"request"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Posts (authenticated) and destroys the request after the first response byte, or once the
 * upstream has received it (past authenticate and parse, whatever the machine's pace).
 */
async function abandon(
  harness: Harness,
  body: unknown,
  after: 'first-byte' | 'at-upstream',
): Promise<void> {
  const credentials = await harness.auth('POST', '/v1/chat/completions');
  const before = harness.mock.requests.length;
  return new Promise((resolve) => {
    const req = httpRequest(
      `${harness.url}/v1/chat/completions`,
      { method: 'POST', headers: { ...credentials, 'content-type': 'application/json' } },
      (res) => res.once('data', () => after === 'first-byte' && req.destroy()),
    );
    req.on('error', () => undefined);
    req.on('close', () => resolve());
    req.end(JSON.stringify(body));
    if (after === 'at-upstream') {
      void vi
        .waitFor(() => expect(harness.mock.requests.length).toBeGreaterThan(before), {
          timeout: 5000,
          interval: 10,
        })
        .finally(() => req.destroy());
    }
  });
}

describe('every exchange leaves its records', () => {
  it('a JSON and a streamed request each leave a usage row with their tokens', async () => {
    h = await startHarness({ issuer });
    const json = await h.post('/v1/chat/completions', hello('chat'));
    const jsonId = json.headers.get('x-request-id');
    await json.json();
    const stream = await h.post('/v1/chat/completions', hello('chat', { stream: true }));
    const streamId = stream.headers.get('x-request-id');
    await readSse(stream);
    const rows = await usageRows(h, 2);
    const byId = new Map(rows.map((row) => [row.requestId, row]));
    expect(byId.get(jsonId ?? '')).toMatchObject({
      route: '/v1/chat/completions',
      modelAlias: 'chat',
      upstreamModel: 'upstream-chat',
      status: 200,
      outcome: null,
      streamed: false,
    });
    expect(byId.get(jsonId ?? '')?.promptTokens).toBeGreaterThan(0);
    expect(byId.get(streamId ?? '')).toMatchObject({ status: 200, outcome: null, streamed: true });
    expect(byId.get(streamId ?? '')?.completionTokens).toBeGreaterThan(0);
  });

  it('a stream the client abandons after the first byte leaves its access line, usage row and metric', async () => {
    h = await startHarness({ issuer, mock: { streamChunks: 50, streamIntervalMs: 40 } });
    await abandon(h, hello('chat', { stream: true }), 'first-byte');
    const [row] = await usageRows(h, 1);
    expect(row).toMatchObject({ status: 499, outcome: 'request.client_closed', streamed: true });
    await vi.waitFor(() =>
      expect(accessLines(h as Harness)).toContainEqual(
        expect.objectContaining({ status: 499, outcome: 'request.client_closed', model: 'chat' }),
      ),
    );
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(
      /rampart_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="499"\} 1/,
    );
  });

  it('a JSON request the client abandons before the answer leaves its records too', async () => {
    h = await startHarness({ issuer });
    await abandon(h, hello('fault-hang'), 'at-upstream');
    const [row] = await usageRows(h, 1);
    expect(row).toMatchObject({ status: 499, outcome: 'request.client_closed', streamed: false });
    expect(row?.promptTokens).toBeNull();
    await vi.waitFor(() =>
      expect(accessLines(h as Harness)).toContainEqual(
        expect.objectContaining({ status: 499, route: '/v1/chat/completions' }),
      ),
    );
  });

  it('the access line names the client address, never the body', async () => {
    h = await startHarness({ issuer });
    await (await h.post('/v1/chat/completions', hello('chat'))).json();
    await vi.waitFor(() => expect(accessLines(h as Harness)).toHaveLength(1));
    expect(accessLines(h)[0]).toMatchObject({ ip: '127.0.0.1', status: 200 });
    expect(h.logs()).not.toContain('Hello');
  });
});
