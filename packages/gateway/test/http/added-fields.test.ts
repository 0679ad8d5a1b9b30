import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMockIssuer, type MockIssuer } from '@rampart/testkit';
import { optionSchemaAt } from '../../src/config/json-schema.js';
import { hello, readSse, startHarness, type Harness } from './harness.js';

/**
 * Fields the gateway adds to upstream requests on its own are provider capabilities
 * (`providers.<name>.capabilities`): a request that would succeed sent directly to a strict
 * upstream never fails through Rampart for a field the client did not send.
 */
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

/** Every capability the schema knows, switched off: a new one is covered without a test edit. */
function everyCapabilityOff(): Record<string, boolean> {
  const capabilities = optionSchemaAt(['providers', 'mock', 'capabilities'])?.properties ?? {};
  expect(Object.keys(capabilities)).not.toEqual([]);
  return Object.fromEntries(Object.keys(capabilities).map((name) => [name, false]));
}

const withCapabilities = (capabilities: Record<string, boolean>) => ({
  providers: { mock: { capabilities } },
});

async function usageRow(harness: Harness, requestId: string | null) {
  // The recorder writes in batches behind the request path (about once a second).
  return vi.waitFor(
    async () => {
      const rows = await harness.gateway.store.usage.recent(100);
      const row = rows.find((candidate) => candidate.requestId === requestId);
      expect(row).toBeDefined();
      return row;
    },
    { timeout: 5000, interval: 100 },
  );
}

async function stream(harness: Harness, extra: Record<string, unknown> = {}) {
  const response = await harness.post(
    '/v1/chat/completions',
    hello('chat', { stream: true, ...extra }),
  );
  const requestId = response.headers.get('x-request-id');
  const text = await response.text();
  return { status: response.status, requestId, text, events: await readSse(new Response(text)) };
}

describe('fields the gateway adds on its own', () => {
  it('with every capability off, the upstream receives exactly the fields the client sent', async () => {
    h = await startHarness({ issuer, config: withCapabilities(everyCapabilityOff()) });
    const sent = [
      ['/v1/chat/completions', hello('chat')],
      ['/v1/chat/completions', hello('chat', { stream: true })],
      ['/v1/chat/completions', hello('chat', { stream: true, stream_options: {} })],
      ['/v1/embeddings', { model: 'embed', input: 'hello' }],
    ] as const;
    for (const [path, body] of sent) {
      const response = await h.post(path, body);
      expect(response.status).toBe(200);
      await response.text();
      const received = h.mock.requests.at(-1)?.body as Record<string, unknown>;
      // Only the alias is rewritten to the upstream model name.
      expect({ ...received, model: body.model }).toEqual(body);
    }
  });

  it('a strict upstream that refuses stream_options streams fine with streamUsage off, and the usage row has null tokens', async () => {
    h = await startHarness({
      issuer,
      mock: { refuseFields: ['stream_options'] },
      config: withCapabilities({ streamUsage: false }),
    });
    const { status, requestId, events } = await stream(h);
    expect(status).toBe(200);
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect(events.some((event) => event.data.includes('"content"'))).toBe(true);
    const row = await usageRow(h, requestId);
    expect(row).toMatchObject({ status: 200, outcome: null, streamed: true });
    // Unknown, not zero: nothing reported the tokens.
    expect(row?.promptTokens).toBeNull();
    expect(row?.completionTokens).toBeNull();
  });

  it('with the default, the same strict upstream refuses every stream, and a stream against an ordinary one has its tokens', async () => {
    h = await startHarness({ issuer, mock: { refuseFields: ['stream_options'] } });
    // Not the client's fault, so not a 400 it would think it caused: the operator's to fix.
    const refused = await stream(h);
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.text)).toMatchObject({
      code: 'upstream.rejected',
      detail: expect.stringContaining('capabilities.streamUsage') as unknown,
    });
    // The client's own stream_options refused is the client's: a 400 with the upstream's param.
    const own = await stream(h, { stream_options: { include_usage: true } });
    expect(own.status).toBe(400);
    expect(JSON.parse(own.text)).toMatchObject({
      code: 'upstream.request_invalid',
      error: { param: 'stream_options' },
    });
    h.mock.setOptions({ refuseFields: [] });
    const { status, requestId } = await stream(h);
    expect(status).toBe(200);
    const row = await usageRow(h, requestId);
    expect(row?.promptTokens).toBe(9);
    expect(row?.completionTokens).toBe(12);
  });

  it("with streamUsage off, a client's own stream_options goes upstream as sent and its usage is recorded", async () => {
    h = await startHarness({ issuer, config: withCapabilities({ streamUsage: false }) });
    const { status, requestId, events } = await stream(h, {
      stream_options: { include_usage: true },
    });
    expect(status).toBe(200);
    expect(h.mock.requests.at(-1)?.body).toMatchObject({ stream_options: { include_usage: true } });
    // The client asked for the usage chunk, so it sees it.
    expect(events.some((event) => event.data.includes('"prompt_tokens":9'))).toBe(true);
    const row = await usageRow(h, requestId);
    expect(row?.promptTokens).toBe(9);
  });
});
