import { describe, expect, it } from 'vitest';
import { AnthropicStreamTranslator } from '../../src/providers/anthropic/stream.js';
import type { JsonObject } from '../../src/providers/types.js';

/** A complete Anthropic stream: text, then a tool call whose input arrives in pieces. */
const EVENTS: JsonObject[] = [
  {
    type: 'message_start',
    message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 12, output_tokens: 1 } },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
  { type: 'content_block_stop', index: 0 },
  {
    type: 'content_block_start',
    index: 1,
    content_block: { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} },
  },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
  {
    type: 'content_block_delta',
    index: 1,
    delta: { type: 'input_json_delta', partial_json: '{"city":' },
  },
  {
    type: 'content_block_delta',
    index: 1,
    delta: { type: 'input_json_delta', partial_json: '"Paris"}' },
  },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } },
  { type: 'message_stop' },
];

function run(clientWantsUsage: boolean, events = EVENTS) {
  const translator = new AnthropicStreamTranslator(1_700_000_000, clientWantsUsage);
  const chunks = events.flatMap((event) => translator.accept(event));
  return { translator, chunks };
}

describe('Anthropic stream → OpenAI chunks', () => {
  it('emits one chunk per delta with a stable id, created and model', () => {
    const { chunks, translator } = run(false);
    expect(translator.done).toBe(true);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: 'msg_1',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'claude-x',
      });
    }
    const choices = chunks.map((chunk) => (chunk.choices as JsonObject[])[0]);
    expect(choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: 'lo' }, logprobs: null, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index: 0,
              id: 'toolu_1',
              type: 'function',
              function: { name: 'weather', arguments: '' },
            },
          ],
        },
        logprobs: null,
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
        logprobs: null,
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
        logprobs: null,
        finish_reason: null,
      },
      { index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' },
    ]);
    expect(translator.usage()).toEqual({ promptTokens: 12, completionTokens: 30, totalTokens: 42 });
  });

  it('adds the usage chunk only when the client asked for it', () => {
    const { chunks } = run(true);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
    });
    expect(run(false).chunks.some((chunk) => 'usage' in chunk)).toBe(false);
  });

  it('turns an error event into stream_interrupted naming only the error type', () => {
    const translator = new AnthropicStreamTranslator(0, false);
    translator.accept(EVENTS[0]!);
    expect(() =>
      translator.accept({
        type: 'error',
        error: { type: 'overloaded_error', message: 'secret internal host db-7 is down' },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'upstream.stream_interrupted',
        message: 'the upstream sent an error event mid-stream (overloaded_error)',
      }),
    );
  });

  it('calls content before message_start malformed', () => {
    const translator = new AnthropicStreamTranslator(0, false);
    expect(() => translator.accept(EVENTS[3]!)).toThrow(
      expect.objectContaining({ code: 'upstream.malformed_response' }),
    );
  });

  it('maps a max_tokens stop to finish_reason length and tolerates unknown events', () => {
    const { chunks } = run(false, [
      EVENTS[0]!,
      { type: 'some_new_event', x: 1 },
      { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ]);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'length' }] });
  });
});
