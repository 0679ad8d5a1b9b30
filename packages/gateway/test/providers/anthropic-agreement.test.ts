import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromAnthropicMessage } from '../../src/providers/anthropic/response.js';
import { AnthropicStreamTranslator } from '../../src/providers/anthropic/stream.js';
import type { JsonObject } from '../../src/providers/types.js';

/**
 * The streamed and the JSON translation of one Anthropic answer must say the same thing: the
 * stream, joined the way OpenAI clients join it, equals the chat.completion.
 */
const CREATED = 1_700_000_000;

type Block =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: JsonObject };

interface Answer {
  readonly message: JsonObject & { content: Block[]; usage: JsonObject };
  /** Where each block's text or JSON is cut into deltas, and where pings fall. */
  readonly cuts: number[][];
  readonly emptyInputDelta: ('none' | 'empty' | 'braces')[];
}

const block: fc.Arbitrary<Block> = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text: fc.string() }),
  fc.record({
    type: fc.constant('thinking' as const),
    thinking: fc.string(),
    signature: fc.string({ minLength: 1 }),
  }),
  fc.record({ type: fc.constant('redacted_thinking' as const), data: fc.string() }),
  fc.record({
    type: fc.constant('tool_use' as const),
    id: fc.stringMatching(/^toolu_[a-z0-9]{1,8}$/),
    name: fc.stringMatching(/^[a-z_]{1,12}$/),
    input: fc.oneof(fc.constant({}), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))),
  }),
);

const answer: fc.Arbitrary<Answer> = fc
  .record({
    content: fc.array(block, { maxLength: 5 }),
    stop_reason: fc.constantFrom(
      'end_turn',
      'max_tokens',
      'stop_sequence',
      'tool_use',
      'pause_turn',
      'refusal',
      'model_context_window_exceeded',
      null,
    ),
    input_tokens: fc.nat(100_000),
    output_tokens: fc.nat(100_000),
    cache_read_input_tokens: fc.option(fc.nat(100_000), { nil: undefined }),
    cache_creation_input_tokens: fc.option(fc.nat(100_000), { nil: undefined }),
  })
  .chain((m) =>
    fc.record({
      message: fc.constant({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: m.content,
        stop_reason: m.stop_reason,
        stop_sequence: null,
        usage: usage(m, m.output_tokens),
      }),
      cuts: fc.tuple(...m.content.map(() => fc.array(fc.nat(), { maxLength: 6 }))),
      emptyInputDelta: fc.tuple(
        ...m.content.map(() =>
          fc.constantFrom('none' as const, 'empty' as const, 'braces' as const),
        ),
      ),
    }),
  );

function usage(m: JsonObject, output: unknown): JsonObject {
  const u: JsonObject = { input_tokens: m.input_tokens, output_tokens: output };
  for (const key of ['cache_read_input_tokens', 'cache_creation_input_tokens']) {
    if (m[key] !== undefined) u[key] = m[key];
  }
  return u;
}

/** `text` cut at the given points (some pieces may be empty, as Anthropic sometimes sends). */
function split(text: string, cuts: number[]): string[] {
  const points = cuts.map((c) => c % (text.length + 1)).sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(text.slice(from, p));
    from = p;
  }
  pieces.push(text.slice(from));
  return pieces;
}

/** The SSE event sequence Anthropic sends for the same answer. */
function events({ message, cuts, emptyInputDelta }: Answer): JsonObject[] {
  const { content, stop_reason, usage: final } = message;
  const out: JsonObject[] = [
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { ...final, output_tokens: 1 },
      },
    },
  ];
  content.forEach((b, index) => {
    const at = cuts[index] ?? [];
    const delta = (d: JsonObject) => out.push({ type: 'content_block_delta', index, delta: d });
    if (at.length % 3 === 1) out.push({ type: 'ping' });
    switch (b.type) {
      case 'text':
        out.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const text of split(b.text, at)) delta({ type: 'text_delta', text });
        break;
      case 'thinking':
        out.push({
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '' },
        });
        for (const thinking of split(b.thinking, at)) delta({ type: 'thinking_delta', thinking });
        delta({ type: 'signature_delta', signature: b.signature });
        break;
      case 'redacted_thinking':
        out.push({ type: 'content_block_start', index, content_block: b });
        break;
      case 'tool_use': {
        const start = { type: 'tool_use', id: b.id, name: b.name, input: {} };
        out.push({ type: 'content_block_start', index, content_block: start });
        const json = JSON.stringify(b.input);
        const fragments =
          json !== '{}'
            ? split(json, at)
            : { none: [], empty: [''], braces: ['{}'] }[emptyInputDelta[index] ?? 'none'];
        for (const partial_json of fragments) delta({ type: 'input_json_delta', partial_json });
        break;
      }
    }
    out.push({ type: 'content_block_stop', index });
  });
  out.push(
    {
      type: 'message_delta',
      delta: { stop_reason, stop_sequence: null },
      usage: { output_tokens: final.output_tokens },
    },
    { type: 'message_stop' },
  );
  return out;
}

/** Joins chunks as an OpenAI client does: deltas concatenated, tool calls by index. */
function join(chunks: JsonObject[]): JsonObject {
  let content = '';
  let reasoning = '';
  let finish: unknown = null;
  let usage: unknown;
  const calls: { id: unknown; type: unknown; function: { name: unknown; arguments: string } }[] =
    [];
  for (const chunk of chunks) {
    if (chunk.usage !== undefined) usage = chunk.usage;
    const choice = (chunk.choices as JsonObject[])[0];
    if (choice === undefined) continue;
    if (choice.finish_reason !== null) finish = choice.finish_reason;
    const delta = choice.delta as JsonObject;
    if (typeof delta.content === 'string') content += delta.content;
    if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content;
    for (const call of (delta.tool_calls ?? []) as JsonObject[]) {
      const fn = call.function as JsonObject;
      const index = call.index as number;
      calls[index] ??= { id: call.id, type: call.type, function: { name: fn.name, arguments: '' } };
      calls[index].function.arguments += fn.arguments as string;
    }
  }
  const message: JsonObject = { role: 'assistant', content: content === '' ? null : content };
  if (reasoning !== '') message.reasoning_content = reasoning;
  message.refusal = null;
  if (calls.length > 0) message.tool_calls = calls;
  const first = chunks[0]!;
  const body: JsonObject = {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model: first.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
  };
  if (usage !== undefined) body.usage = usage;
  return body;
}

function stream(list: JsonObject[]) {
  const translator = new AnthropicStreamTranslator(CREATED, true);
  const chunks = list.flatMap((event) => translator.accept(event));
  expect(translator.done).toBe(true);
  return { chunks, usage: translator.usage() };
}

describe('Anthropic → OpenAI: streamed and JSON translations agree', () => {
  it('the joined stream equals the chat.completion (property)', () => {
    fc.assert(
      fc.property(answer, (a) => {
        const json = fromAnthropicMessage(a.message, CREATED);
        const streamed = stream(events(a));
        expect(join(streamed.chunks)).toEqual(json.body);
        expect(streamed.usage).toEqual(json.usage);
        const message = (json.body.choices as JsonObject[])[0]!.message as JsonObject;
        for (const call of (message.tool_calls ?? []) as { function: { arguments: string } }[]) {
          expect(() => JSON.parse(call.function.arguments) as unknown).not.toThrow();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives a tool call with empty input the arguments {} on both paths', () => {
    const tool = { type: 'tool_use', id: 'toolu_1', name: 'now', input: {} } as const;
    const a: Answer = {
      message: {
        id: 'msg_1',
        type: 'message',
        model: 'claude-x',
        content: [tool],
        stop_reason: 'tool_use',
        usage: { input_tokens: 3, output_tokens: 4 },
      },
      cuts: [[]],
      emptyInputDelta: ['empty'],
    };
    const calls = (body: JsonObject) =>
      ((body.choices as JsonObject[])[0]!.message as JsonObject).tool_calls;
    const expected = [
      { id: 'toolu_1', type: 'function', function: { name: 'now', arguments: '{}' } },
    ];
    expect(calls(fromAnthropicMessage(a.message, CREATED).body)).toEqual(expected);
    expect(calls(join(stream(events(a)).chunks))).toEqual(expected);
  });

  it('surfaces thinking as reasoning_content and passes on no signature', () => {
    const a: Answer = {
      message: {
        id: 'msg_1',
        type: 'message',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'Paris is in France.', signature: 'sig-SECRET' },
          { type: 'redacted_thinking', data: 'opaque-SECRET' },
          { type: 'text', text: 'Paris.' },
        ],
        stop_reason: 'end_turn',
        usage: { input_tokens: 3, output_tokens: 4 },
      },
      cuts: [[5], [], [2]],
      emptyInputDelta: ['none', 'none', 'none'],
    };
    const json = fromAnthropicMessage(a.message, CREATED).body;
    expect((json.choices as JsonObject[])[0]!.message).toEqual({
      role: 'assistant',
      content: 'Paris.',
      reasoning_content: 'Paris is in France.',
      refusal: null,
    });
    const chunks = stream(events(a)).chunks;
    expect(chunks.map((c) => (c.choices as JsonObject[])[0]?.delta)).toContainEqual({
      reasoning_content: 'Paris',
    });
    expect(JSON.stringify([json, chunks])).not.toContain('SECRET');
  });
});
