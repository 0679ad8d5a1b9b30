import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import type { ParsedRequest } from '../exchange.js';
import type { ChatRequest } from '../parse/schemas.js';
import { COUNTED_CHARS, estimateTokens } from './estimate.js';

const chat = (body: Record<string, unknown>): ParsedRequest => ({
  kind: 'chat',
  body: { model: 'chat', ...body } as ChatRequest,
});

describe('token estimate', () => {
  it('counts message text, text parts, tool-call arguments and tool definitions with the tokenizer', () => {
    const tool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } };
    const estimate = estimateTokens(
      chat({
        messages: [
          { role: 'user', content: 'What is the weather in Paris?' },
          { role: 'user', content: [{ type: 'text', text: 'And in Rome?' }] },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'c',
                type: 'function',
                function: { name: 'lookup', arguments: '{"city":"Rome"}' },
              },
            ],
          },
        ],
        tools: [tool],
      }),
      { max_tokens: 100 },
      4096,
    );
    const text =
      countTokens('What is the weather in Paris?') +
      countTokens('And in Rome?') +
      countTokens('{"city":"Rome"}') +
      countTokens(JSON.stringify(tool));
    expect(estimate.promptTokens).toBe(text + 3 * 4);
    expect(estimate.outputTokens).toBe(100);
    expect(estimate.totalTokens).toBe(text + 12 + 100);
  });

  it('takes the output allowance from max_completion_tokens, then max_tokens, else the default, times n', () => {
    const request = chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(
      estimateTokens(request, { max_completion_tokens: 50, max_tokens: 900 }, 7).outputTokens,
    ).toBe(50);
    expect(estimateTokens(request, { max_tokens: 900 }, 7).outputTokens).toBe(900);
    expect(estimateTokens(request, {}, 7).outputTokens).toBe(7);
    expect(estimateTokens(request, { max_tokens: 10, n: 3 }, 7).outputTokens).toBe(30);
  });

  it('counts special-token text as ordinary text instead of failing', () => {
    const request = chat({ messages: [{ role: 'user', content: 'a <|endoftext|> b' }] });
    expect(estimateTokens(request, {}, 1).promptTokens).toBeGreaterThan(4);
  });

  it('tokenizes only the first COUNTED_CHARS characters and estimates the rest at four a token', () => {
    const long = 'word '.repeat(COUNTED_CHARS); // five times the counted budget
    const request = chat({ messages: [{ role: 'user', content: long }] });
    const counted = countTokens(long.slice(0, COUNTED_CHARS));
    const rest = Math.ceil((long.length - COUNTED_CHARS) / 4);
    expect(estimateTokens(request, {}, 0).promptTokens).toBe(4 + counted + rest);
  });

  it('counts embeddings input text and token ids, with no output', () => {
    const text: ParsedRequest = {
      kind: 'embeddings',
      body: { model: 'embed', input: ['one', 'two'] },
    };
    expect(estimateTokens(text, undefined, 4096)).toEqual({
      promptTokens: 2,
      outputTokens: 0,
      totalTokens: 2,
    });
    const ids: ParsedRequest = {
      kind: 'embeddings',
      body: { model: 'embed', input: [[1, 2, 3], [4]] },
    };
    expect(estimateTokens(ids, undefined, 4096).totalTokens).toBe(4);
  });

  it('never throws and stays bounded for any message text', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string({ maxLength: 2000 }), fc.string({ unit: 'grapheme', maxLength: 500 })),
          {
            maxLength: 20,
          },
        ),
        fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
        (texts, maxTokens) => {
          const request = chat({ messages: texts.map((content) => ({ role: 'user', content })) });
          const upstream = maxTokens === undefined ? {} : { max_tokens: maxTokens };
          const estimate = estimateTokens(request, upstream, 100);
          const chars = texts.reduce((sum, text) => sum + text.length, 0);
          expect(Number.isSafeInteger(estimate.totalTokens)).toBe(true);
          // No text yields more tokens than UTF-8 bytes: at most 3 per UTF-16 code unit.
          expect(estimate.promptTokens).toBeLessThanOrEqual(3 * chars + 4 * texts.length);
          expect(estimate.outputTokens).toBe(maxTokens ?? 100);
        },
      ),
      { numRuns: 200 },
    );
  });
});
