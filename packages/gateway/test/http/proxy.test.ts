import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_KEY, hello, readSse, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const CHAT = '/v1/chat/completions';
type Json = Record<string, unknown>;

describe('OpenAI-compatible proxy', () => {
  it('a chat completion goes to the alias upstream model with the provider key, and comes back under the alias', async () => {
    const credentials = await h.auth('POST', CHAT);
    const response = await h.post(CHAT, hello('chat'), { ...credentials, cookie: 'session=abc' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const body = (await response.json()) as Json;
    expect(body['object']).toBe('chat.completion');
    expect(body['model']).toBe('chat');
    const upstream = h.mock.requests.at(-1);
    expect(upstream?.path).toBe('/v1/chat/completions');
    expect((upstream?.body as Json)['model']).toBe('upstream-chat');
    expect(upstream?.headers['authorization']).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(upstream?.headers['cookie']).toBeUndefined();
    // The client's access token and proof stop at the gateway.
    expect(upstream?.headers['dpop']).toBeUndefined();
    expect(JSON.stringify(upstream?.headers)).not.toContain(credentials.authorization.slice(5));
  });

  it('embeddings and the model list', async () => {
    const response = await h.post('/v1/embeddings', {
      model: 'embed',
      input: ['a', 'b'],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: unknown[]; model: string };
    expect(body.data).toHaveLength(2);
    expect(body.model).toBe('embed');
    const list = (await (await h.fetch('/v1/models')).json()) as {
      data: Array<{ id: string }>;
    };
    expect(list.data.map((m) => m.id)).toEqual(expect.arrayContaining(['chat', 'embed', 'claude']));
    expect(JSON.stringify(list)).not.toContain('upstream-chat');
  });

  it('a stream is passed through as SSE chunks ending in [DONE]', async () => {
    const response = await h.post(CHAT, hello('chat', { stream: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(response);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Json);
    expect(chunks.length).toBeGreaterThan(3);
    expect(
      chunks.every((c) => c['object'] === 'chat.completion.chunk' && c['model'] === 'chat'),
    ).toBe(true);
    // Usage was requested upstream for metering but not by this client, so it is not forwarded.
    expect(
      chunks.some(
        (c) => 'usage' in c && c['usage'] !== null && (c['choices'] as unknown[]).length === 0,
      ),
    ).toBe(false);
  });

  it('a stream is not buffered: the first chunk arrives while the upstream is still silent', async () => {
    const response = await h.post(CHAT, hello('fault-hang-mid-stream', { stream: true }));
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('chat.completion.chunk');
    await reader.cancel();
  });

  it('Anthropic is translated both ways, streaming included', async () => {
    const json = (await (await h.post(CHAT, hello('claude'))).json()) as Json;
    expect(json['object']).toBe('chat.completion');
    const upstream = h.mock.requests.at(-1);
    expect(upstream?.path).toBe('/v1/messages');
    expect(upstream?.headers['x-api-key']).toBe(PROVIDER_KEY);
    const events = await readSse(await h.post(CHAT, hello('claude', { stream: true })));
    expect(events.at(-1)?.data).toBe('[DONE]');
    const text = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.data) as { choices: Array<{ delta?: { content?: string } }> })
      .map((c) => c.choices[0]?.delta?.content ?? '')
      .join('');
    expect(text.length).toBeGreaterThan(0);
  });

  it('Anthropic gets jpg images as jpeg and keeps cache markers; what it cannot honour is a named 400', async () => {
    const marked = { type: 'text', text: 'Stable rules.', cache_control: { type: 'ephemeral' } };
    const response = await h.post(CHAT, {
      model: 'claude',
      messages: [
        { role: 'system', content: [marked, { type: 'text', text: 'Today.' }] },
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url: 'data:image/jpg;base64,/9j/AA==' } }],
        },
      ],
    });
    expect(response.status).toBe(200);
    const sent = h.mock.requests.at(-1)?.body as Json;
    expect(sent['system']).toEqual([marked, { type: 'text', text: 'Today.' }]);
    expect(JSON.stringify(sent['messages'])).toContain('"media_type":"image/jpeg"');

    const before = h.mock.requests.length;
    const refused = await h.post(CHAT, {
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://x.test/a.png', detail: 'low' } },
          ],
        },
      ],
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(await refused.json()).toMatchObject({
      code: 'request.unsupported_by_provider',
      errors: [{ path: 'messages.0.content.1.image_url.detail' }],
    });
    expect(h.mock.requests.length).toBe(before);
  });

  it('usage is recorded without content', async () => {
    await h.post(
      CHAT,
      hello('chat', { messages: [{ role: 'user', content: 'very secret prompt text' }] }),
    );
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(
      /rampart_tokens_total\{provider="mock",model="chat",kind="prompt"\} \d+/,
    );
    expect(metrics).toMatch(
      /rampart_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="200"\}/,
    );
    expect(h.logs()).not.toContain('very secret prompt text');
  });
});
