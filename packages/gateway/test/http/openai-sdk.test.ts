import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

/**
 * The official OpenAI SDK, a client that is not ours, pointed at the gateway as an app would
 * point it: compatibility is what it accepts, not what our own tests assume.
 */
let h: Harness;
let client: OpenAI;

/**
 * The SDK as an app configures it: its own `Authorization: Bearer <apiKey>` is replaced, per
 * request, by the app's DPoP-bound access token and a fresh proof (the SDK's `fetch` option).
 */
function sdk(options: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({
    baseURL: `${h.url}/v1`,
    apiKey: 'not-a-provider-key',
    fetch: h.credentials?.fetch,
    ...options,
  });
}

beforeAll(async () => {
  h = await startHarness();
  client = sdk({ maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

describe('the official OpenAI SDK against the gateway', () => {
  it('lists models and completes a chat', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('chat');
    const completion = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(completion.choices[0]?.message.content).toBeTruthy();
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams a chat, Anthropic included, with usage when asked for', async () => {
    for (const model of ['chat', 'claude']) {
      const stream = await client.chat.completions.create({
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Hello' }],
      });
      let text = '';
      let usage: number | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage = chunk.usage?.total_tokens ?? usage;
      }
      expect(text.length).toBeGreaterThan(0);
      expect(usage).toBeGreaterThan(0);
    }
  });

  it('creates embeddings, in the base64 encoding the SDK asks for by default', async () => {
    const result = await client.embeddings.create({ model: 'embed', input: ['a', 'b'] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it('an SDK sending only its apiKey as a bearer token is refused 401, not served', async () => {
    const bare = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'not-a-token', maxRetries: 0 });
    const error = await bare.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'auth.token_malformed' });
  });

  it('surfaces a refusal as an APIError carrying the stable code', async () => {
    const error = await client.chat.completions
      .create({ model: 'gpt-unknown', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('model.unknown_alias');
  });

  it('does not retry an upstream error the request caused, and can act on its code', async () => {
    // Default SDK settings: two retries for anything it considers transient.
    const defaults = sdk();
    h.mock.setOptions({
      errorResponse: {
        status: 400,
        body: {
          error: {
            message: "This model's maximum context length is 8192 tokens.",
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        },
      },
    });
    for (const stream of [false, true]) {
      const before = h.mock.requests.length;
      const error = await defaults.chat.completions
        .create({ model: 'fault-http-error', stream, messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect(h.mock.requests.length - before, `stream ${stream}`).toBe(1);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const api = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(api.code).toBe('context_length_exceeded');
      expect(api.type).toBe('invalid_request_error');
      expect(api.param).toBe('messages');
      expect(api.message).not.toContain('8192');
    }
  });

  it('surfaces a stream broken mid-way as an error, not as a short answer', async () => {
    const stream = await client.chat.completions.create({
      model: 'fault-cut-stream',
      stream: true,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const consume = async () => {
      for await (const chunk of stream) void chunk;
    };
    await expect(consume()).rejects.toThrow();
  });

  it('does not retry what only the operator can fix (the upstream refused the provider key)', async () => {
    const retrying = sdk({ maxRetries: 2 });
    h.mock.setOptions({ errorResponse: { status: 401 } });
    const before = h.mock.requests.length;
    const error = await retrying.chat.completions
      .create({ model: 'fault-http-error', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'upstream.auth_failed' });
    expect(h.mock.requests.length - before).toBe(1);
  });
});
