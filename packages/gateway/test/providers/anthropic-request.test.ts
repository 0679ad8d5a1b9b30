import { describe, expect, it } from 'vitest';
import { toAnthropicRequest } from '../../src/providers/anthropic/request.js';

const invalidParameter = (text: string): unknown =>
  expect.objectContaining({
    code: 'request.invalid_parameter',
    message: expect.stringContaining(text) as unknown,
  });
const unsupportedByProvider = (text: string): unknown =>
  expect.objectContaining({
    code: 'request.unsupported_by_provider',
    message: expect.stringContaining(text) as unknown,
  });

describe('OpenAI request → Anthropic Messages', () => {
  it('lifts system and developer messages, merges same-role turns and defaults max_tokens', () => {
    const request = toAnthropicRequest({
      model: 'claude-x',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'No jokes.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'user', content: 'there' },
        { role: 'assistant', content: 'Hello' },
      ],
    });
    expect(request).toEqual({
      model: 'claude-x',
      max_tokens: 4096,
      system: 'Be brief.\n\nNo jokes.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi' },
            { type: 'text', text: 'there' },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] },
      ],
    });
  });

  it('takes max_tokens from max_completion_tokens first, then max_tokens', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    expect(toAnthropicRequest({ ...base, max_tokens: 50 }).max_tokens).toBe(50);
    expect(
      toAnthropicRequest({ ...base, max_tokens: 50, max_completion_tokens: 70 }).max_tokens,
    ).toBe(70);
    expect(() => toAnthropicRequest({ ...base, max_tokens: 0 })).toThrow(
      invalidParameter('max_tokens'),
    );
  });

  it('translates sampling parameters and stop sequences', () => {
    const request = toAnthropicRequest({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.5,
      top_p: 0.9,
      stop: 'END',
      user: 'u-1',
      n: 1,
      presence_penalty: 0,
      stream_options: { include_usage: true },
      seed: null,
    });
    expect(request).toMatchObject({
      temperature: 0.5,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
    });
    expect(request).not.toHaveProperty('n');
    expect(request).not.toHaveProperty('stream_options');
  });

  it.each([
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['presence_penalty', { presence_penalty: 0.5 }],
    ['frequency_penalty', { frequency_penalty: 1 }],
    ['response_format', { response_format: { type: 'json_schema', json_schema: {} } }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['seed', { seed: 42 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['reasoning_effort', { reasoning_effort: 'high' }],
    ['some_future_parameter', { some_future_parameter: true }],
  ])('refuses %s rather than dropping it', (name, extra) => {
    expect(() =>
      toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], ...extra }),
    ).toThrow(
      unsupportedByProvider(`parameter ${name} is not supported by provider type anthropic`),
    );
  });

  it('refuses a temperature above Anthropic’s range instead of clamping it', () => {
    expect(() =>
      toAnthropicRequest({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        temperature: 1.5,
      }),
    ).toThrow(invalidParameter('temperature'));
  });

  it('turns image parts into base64 or URL image blocks', () => {
    const request = toAnthropicRequest({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            {
              type: 'image_url',
              image_url: { url: 'https://example.com/cat.jpg', detail: 'high' },
            },
          ],
        },
      ],
    });
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          {
            type: 'image',
            source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
          },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('refuses images it cannot pass on, and audio parts', () => {
    const send = (part: unknown) => () =>
      toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: [part] }] });
    expect(send({ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AA' } })).toThrow(
      invalidParameter('messages.0.content.0.image_url.url'),
    );
    expect(send({ type: 'image_url', image_url: { url: 'file:///etc/passwd' } })).toThrow(
      invalidParameter('messages.0.content.0.image_url.url'),
    );
    expect(send({ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } })).toThrow(
      expect.objectContaining({
        code: 'request.unsupported_by_provider',
        message: expect.stringContaining('messages.0.content.0.type') as unknown,
      }),
    );
  });

  it('translates tools, tool choice, tool calls and tool results', () => {
    const request = toAnthropicRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'rain' }] },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'weather', description: 'Weather now', parameters: { type: 'object' } },
        },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(request.tools).toEqual([
      { name: 'weather', description: 'Weather now', input_schema: { type: 'object' } },
    ]);
    expect(request.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(request.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'call_2', content: 'rain' },
        ],
      },
    ]);
  });

  it('maps each OpenAI tool_choice form', () => {
    const withChoice = (tool_choice: unknown) =>
      toAnthropicRequest({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice,
      }).tool_choice;
    expect(withChoice('auto')).toEqual({ type: 'auto' });
    expect(withChoice('none')).toEqual({ type: 'none' });
    expect(withChoice({ type: 'function', function: { name: 'f' } })).toEqual({
      type: 'tool',
      name: 'f',
    });
    expect(() => withChoice({ type: 'allowed_tools' })).toThrow(
      expect.objectContaining({
        code: 'request.unsupported_by_provider',
        message: expect.stringContaining('tool_choice.type') as unknown,
      }),
    );
  });

  it('refuses malformed tool call arguments without echoing them', () => {
    const call = () =>
      toAnthropicRequest({
        model: 'm',
        messages: [
          {
            role: 'assistant',
            tool_calls: [
              { id: 'c', type: 'function', function: { name: 'f', arguments: 'SECRET{' } },
            ],
          },
        ],
      });
    expect(call).toThrow(invalidParameter('messages.0.tool_calls.0.function.arguments'));
    const error = (() => {
      try {
        call();
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).not.toContain('SECRET');
  });
});
