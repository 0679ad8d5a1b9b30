import { describe, expect, it } from 'vitest';
import { fromAnthropicMessage } from '../../src/providers/anthropic/response.js';

describe('Anthropic message → OpenAI chat.completion', () => {
  it('translates text, tool calls, the finish reason and usage with cached input', () => {
    const { body, usage } = fromAnthropicMessage(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 7 },
      },
      1_700_000_000,
    );
    expect(body).toEqual({
      id: 'msg_1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-x',
      choices: [
        {
          index: 0,
          logprobs: null,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: 'Checking.',
            refusal: null,
            tool_calls: [
              {
                id: 'toolu_1',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
        },
      ],
      usage: {
        prompt_tokens: 15,
        completion_tokens: 7,
        total_tokens: 22,
        prompt_tokens_details: { cached_tokens: 5 },
      },
    });
    expect(usage).toEqual({ promptTokens: 15, completionTokens: 7, totalTokens: 22 });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finish) => {
    const { body } = fromAnthropicMessage(
      { type: 'message', content: [], stop_reason: stopReason },
      0,
    );
    expect(body.choices).toEqual([expect.objectContaining({ finish_reason: finish })]);
  });

  it('calls a body without a content array malformed', () => {
    expect(() => fromAnthropicMessage({ foo: 1 }, 0)).toThrow(
      expect.objectContaining({ code: 'upstream.malformed_response' }),
    );
  });
});
