import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_REPLY,
  UPSTREAM_REPLY,
  collectSse,
  startMockUpstream,
  type MockUpstream,
} from '../src/index.js';
import { ANTHROPIC_HEADERS, CHAT, MESSAGE, json, post } from './helpers.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1 },
        note: { type: 'string' },
      },
      required: ['city', 'unit', 'days'],
    },
  },
};
const clock = { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } };

interface ToolMessage {
  content: string | null;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
}

describe('upstream mode (the default)', () => {
  it('answers like a model, not with the demo explanation', async () => {
    const body = await json<{ choices: Array<{ message: { content: string } }> }>(
      await post(mock, '/v1/chat/completions', CHAT),
    );
    expect(body.choices[0]?.message.content).toBe(UPSTREAM_REPLY);
    expect(UPSTREAM_REPLY).not.toMatch(/no AI provider|demo|canned/i);
  });

  it('calls the first tool with JSON arguments its schema accepts', async () => {
    const body = await json<{ choices: Array<{ message: ToolMessage; finish_reason: string }> }>(
      await post(mock, '/v1/chat/completions', { ...CHAT, tools: [weather, clock] }),
    );
    const choice = body.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(call?.id).toMatch(/^call_/);
    expect(JSON.parse(call?.function.arguments ?? '')).toEqual({
      city: 'mock',
      unit: 'celsius',
      days: 1,
    });
  });

  it('calls the tool tool_choice names, and none when it says none', async () => {
    const named = await json<{ choices: Array<{ message: ToolMessage }> }>(
      await post(mock, '/v1/chat/completions', {
        ...CHAT,
        tools: [weather, clock],
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      }),
    );
    expect(named.choices[0]?.message.tool_calls?.[0]?.function).toEqual({
      name: 'get_time',
      arguments: '{}',
    });
    const none = await json<{ choices: Array<{ message: ToolMessage }> }>(
      await post(mock, '/v1/chat/completions', { ...CHAT, tools: [weather], tool_choice: 'none' }),
    );
    expect(none.choices[0]?.message.content).toBe(UPSTREAM_REPLY);
  });

  it('answers with text once the conversation carries the tool result', async () => {
    const body = await json<{ choices: Array<{ message: ToolMessage; finish_reason: string }> }>(
      await post(mock, '/v1/chat/completions', {
        ...CHAT,
        tools: [weather],
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        ],
      }),
    );
    expect(body.choices[0]?.finish_reason).toBe('stop');
    expect(body.choices[0]?.message.content).toBe(UPSTREAM_REPLY);
  });

  it('streams a tool call: name first, arguments in pieces, finish tool_calls, usage when asked', async () => {
    const res = await post(mock, '/v1/chat/completions', {
      ...CHAT,
      tools: [weather],
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = collectSse(await res.text());
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    const chunks = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e.data) as {
          choices: Array<{
            delta: { tool_calls?: Array<{ function: { name?: string; arguments: string } }> };
            finish_reason: string | null;
          }>;
          usage: unknown;
        },
    );
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]?.function.name).toBe('get_weather');
    const args = calls.map((c) => c.function.arguments).join('');
    expect(JSON.parse(args)).toEqual({ city: 'mock', unit: 'celsius', days: 1 });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 12 });
  });

  it('answers an Anthropic request offering tools with a tool_use block', async () => {
    const tools = [
      {
        name: 'get_weather',
        input_schema: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
      },
    ];
    const body = await json(
      await post(mock, '/v1/messages', { ...MESSAGE, tools }, ANTHROPIC_HEADERS),
    );
    expect(body).toMatchObject({
      type: 'message',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'mock' } }],
    });

    const res = await post(
      mock,
      '/v1/messages',
      { ...MESSAGE, tools, stream: true },
      ANTHROPIC_HEADERS,
    );
    const events = collectSse(await res.text()).map(
      (e) =>
        JSON.parse(e.data) as {
          type: string;
          delta?: { partial_json?: string; stop_reason?: string };
        },
    );
    const json_ = events
      .filter((e) => e.delta?.partial_json !== undefined)
      .map((e) => e.delta?.partial_json)
      .join('');
    expect(JSON.parse(json_)).toEqual({ city: 'mock' });
    expect(events.find((e) => e.type === 'message_delta')?.delta?.stop_reason).toBe('tool_use');
    expect(events.at(-1)?.type).toBe('message_stop');
  });
});

describe('demo mode', () => {
  it('says in its text reply that no provider is configured; a reply set by the caller wins', async () => {
    const demo = await startMockUpstream({ mode: 'demo' });
    try {
      const body = await json<{ choices: Array<{ message: { content: string } }> }>(
        await post(demo, '/v1/chat/completions', CHAT),
      );
      expect(body.choices[0]?.message.content).toBe(DEMO_REPLY);
      expect(DEMO_REPLY).toContain('no AI provider is configured');
      demo.setOptions({ reply: 'custom' });
      demo.setOptions({ mode: 'upstream' });
      const custom = await json<{ choices: Array<{ message: { content: string } }> }>(
        await post(demo, '/v1/chat/completions', CHAT),
      );
      expect(custom.choices[0]?.message.content).toBe('custom');
    } finally {
      await demo.close();
    }
  });

  it('refuses an unknown mode', async () => {
    await expect(startMockUpstream({ mode: 'prod' as never })).rejects.toThrow(RangeError);
  });
});
