import { DEMO_REPLY, UPSTREAM_REPLY } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { mintDevToken } from '../../src/identity/dev-token/index.js';
import { startGateway } from '../../src/server.js';
import { tempDir } from '../helpers/tmp.js';
import { hello, postJson, readSse, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup_order',
      parameters: {
        type: 'object',
        properties: { orderId: { type: 'string' } },
        required: ['orderId'],
      },
    },
  },
];

interface Completion {
  choices: Array<{
    message: {
      content: string | null;
      tool_calls?: Array<{ function: { name: string; arguments: string } }>;
    };
    finish_reason: string;
  }>;
}

describe('the testkit mock as an upstream', () => {
  it('answers like a model, not with the demo explanation', async () => {
    const body = (await (await h.post('/v1/chat/completions', hello('chat'))).json()) as Completion;
    expect(body.choices[0]?.message.content).toBe(UPSTREAM_REPLY);
  });

  it.each(['chat', 'claude'])(
    'a request offering tools gets a tool call through the gateway (%s)',
    async (model) => {
      const response = await h.post('/v1/chat/completions', hello(model, { tools }));
      expect(response.status).toBe(200);
      const body = (await response.json()) as Completion;
      expect(body.choices[0]?.finish_reason).toBe('tool_calls');
      const call = body.choices[0]?.message.tool_calls?.[0];
      expect(call?.function.name).toBe('lookup_order');
      expect(JSON.parse(call?.function.arguments ?? '')).toEqual({ orderId: 'mock' });
    },
  );

  it.each(['chat', 'claude'])('a streamed tool call arrives whole (%s)', async (model) => {
    const response = await h.post('/v1/chat/completions', hello(model, { tools, stream: true }));
    const events = await readSse(response);
    const chunks = events
      .filter((e) => e.data !== '[DONE]')
      .map(
        (e) =>
          JSON.parse(e.data) as {
            choices: Array<{
              delta: { tool_calls?: Array<{ function?: { name?: string; arguments?: string } }> };
              finish_reason: string | null;
            }>;
          },
      );
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls.find((c) => c.function?.name !== undefined)?.function?.name).toBe('lookup_order');
    const args = calls.map((c) => c.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ orderId: 'mock' });
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
  });
});

describe('demo mode', () => {
  it('a gateway with no provider answers through the mock, saying that no provider is configured', async () => {
    // Not the harness: the subject is demo mode's own configuration, authenticated by default,
    // with the development token `rampart token --dev` prints (test/identity/dev-token.test.ts).
    const config = validateConfig({
      dataDir: tempDir(),
      server: { port: 0, publicUrl: 'http://127.0.0.1:8787' },
      log: { level: 'silent' },
    });
    const gateway = await startGateway(config, { env: {}, processMetrics: false });
    onTestFinished(() => gateway.close());
    expect(gateway.models).toEqual(['demo-chat', 'demo-embeddings']);
    const token = await mintDevToken(config, gateway.keyring);
    const body = (await (
      await postJson(`${gateway.url}/v1/chat/completions`, hello('demo-chat'), {
        authorization: `Bearer ${token}`,
      })
    ).json()) as Completion;
    expect(body.choices[0]?.message.content).toBe(DEMO_REPLY);
  });
});
