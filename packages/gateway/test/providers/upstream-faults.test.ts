import { startMockUpstream, type MockFault, type MockUpstream } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/providers/index.js';
import type { Provider, ProviderType } from '../../src/providers/types.js';
import {
  callOptions,
  chatBody,
  closedPort,
  expectCatalogue,
  failure,
  settingsFor,
  streamOutcome,
} from './helpers.js';

/** What each mock fault must become, for a JSON call and for a streaming call. */
const EXPECTED: Record<MockFault, { json: string; stream: string }> = {
  'http-500': { json: 'upstream.server_error', stream: 'upstream.server_error' },
  'http-503': { json: 'upstream.server_error', stream: 'upstream.server_error' },
  'http-429': { json: 'upstream.rate_limited', stream: 'upstream.rate_limited' },
  'http-400': { json: 'upstream.request_invalid', stream: 'upstream.request_invalid' },
  'http-401': { json: 'upstream.auth_failed', stream: 'upstream.auth_failed' },
  'http-error': { json: 'upstream.request_invalid', stream: 'upstream.request_invalid' },
  'malformed-json': { json: 'upstream.malformed_response', stream: 'upstream.malformed_response' },
  'wrong-shape': { json: 'upstream.malformed_response', stream: 'upstream.malformed_response' },
  'cut-stream': { json: 'upstream.unreachable', stream: 'upstream.stream_interrupted' },
  'stream-garbage': {
    json: 'upstream.malformed_response',
    stream: 'upstream.malformed_response',
  },
  hang: { json: 'upstream.timeout', stream: 'upstream.timeout' },
  'hang-mid-stream': { json: 'upstream.timeout', stream: 'upstream.timeout' },
  reset: { json: 'upstream.unreachable', stream: 'upstream.unreachable' },
};

let mock: MockUpstream;
const providers = new Map<ProviderType, Provider>();

beforeAll(async () => {
  // Retry-After: 0 keeps the retried 429/503 cases fast; it is within the retry cap as 1s is.
  mock = await startMockUpstream({ retryAfterSeconds: 0 });
  for (const type of ['openai-compatible', 'anthropic'] as const) {
    // Short timeouts so that the hang faults finish quickly; retries on, to prove that none of
    // these faults is retried except 429/503, whose Retry-After is within the retry cap.
    providers.set(
      type,
      createProvider(
        settingsFor(type, mock.url, { headersTimeoutMs: 300, bodyTimeoutMs: 300, maxRetries: 1 }),
      ),
    );
  }
});

afterAll(async () => {
  await Promise.all([...providers.values()].map((p) => p.close()));
  await mock.close();
});

const RETRIED: ReadonlySet<MockFault> = new Set(['http-429', 'http-503']);

describe.each(['openai-compatible', 'anthropic'] as const)('the %s adapter', (type) => {
  const provider = () => providers.get(type)!;

  it.each(Object.keys(EXPECTED) as MockFault[])(
    'turns fault %s into its catalogue error on a JSON call',
    async (fault) => {
      const before = mock.requests.length;
      const error = await failure(provider().chat(chatBody(`fault:${fault}`), callOptions()));
      const rampart = expectCatalogue(error, EXPECTED[fault].json);
      if (fault === 'http-429') expect(rampart.extensions).toEqual({ retryAfter: 0 });
      expect(mock.requests.length - before).toBe(RETRIED.has(fault) ? 2 : 1);
    },
  );

  it.each(Object.keys(EXPECTED) as MockFault[])(
    'turns fault %s into its catalogue error on a stream',
    async (fault) => {
      const before = mock.requests.length;
      const { error } = await streamOutcome(provider(), chatBody(`fault:${fault}`));
      expectCatalogue(error, EXPECTED[fault].stream);
      expect(mock.requests.length - before).toBe(RETRIED.has(fault) ? 2 : 1);
    },
  );

  it('reports an upstream error by status and error type only, never its message', async () => {
    const error = await failure(provider().chat(chatBody('fault:http-401'), callOptions()));
    const rampart = expectCatalogue(error, 'upstream.auth_failed');
    expect(rampart.message).toMatch(/^the upstream answered 401( \([a-z_, ]+\))?$/);
    expect(rampart.message).not.toContain('Mock fault');
  });

  it('turns a refused connection into upstream.unreachable', async () => {
    const port = await closedPort();
    const refused = createProvider(settingsFor(type, `http://127.0.0.1:${port}`));
    try {
      const error = await failure(refused.chat(chatBody(), callOptions()));
      expectCatalogue(error, 'upstream.unreachable');
      expect((error as Error).message).toContain('ECONNREFUSED');
    } finally {
      await refused.close();
    }
  });
});

it('anthropic embeddings are refused as the wrong kind of model without an upstream call', async () => {
  const before = mock.requests.length;
  const error = await failure(
    providers.get('anthropic')!.embeddings({ model: 'm', input: 'x' }, callOptions()),
  );
  expectCatalogue(error, 'model.wrong_kind');
  expect(mock.requests.length).toBe(before);
});
