import { RampartError } from '@rampart/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MeterCapConfig } from '../../config/meter-schema.js';
import { newExchange } from '../exchange.js';
import { chatRequestSchema } from '../parse/schemas.js';
import { enforceCaps, promptChars } from './caps.js';

/*
 * Whatever a client asks for and whatever caps apply, enforceCaps either refuses with one of its
 * two codes or leaves an upstream body within every cap — never another error, never a change
 * to what the client sent (authorize judged that), never an unbounded request under a token cap.
 */

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const capArbitrary: fc.Arbitrary<MeterCapConfig> = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  attestation: fc.constant('any' as const),
  overMaxTokens: fc.constantFrom('refuse' as const, 'clamp' as const),
  capParameter: fc.constantFrom('max_completion_tokens' as const, 'max_tokens' as const),
  maxTokens: optional(fc.integer({ min: 1, max: 10_000 })),
  n: optional(fc.integer({ min: 1, max: 128 })),
  maxPromptChars: optional(fc.integer({ min: 1, max: 200 })),
  maxTools: optional(fc.integer({ min: 0, max: 4 })),
  logprobs: optional(fc.constantFrom('allow' as const, 'strip' as const, 'refuse' as const)),
  topLogprobs: optional(fc.integer({ min: 0, max: 20 })),
});

const text = fc.string({ maxLength: 80 });
const messageArbitrary = fc.oneof(
  fc.record({ role: fc.constant('user'), content: text }),
  fc.record({
    role: fc.constant('user'),
    content: fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 3 }),
  }),
  fc.record({
    role: fc.constant('assistant'),
    content: fc.constant(null),
    tool_calls: fc.array(
      fc.record({
        id: fc.constant('c'),
        type: fc.constant('function'),
        function: fc.record({ name: fc.constant('f'), arguments: text }),
      }),
      { maxLength: 2 },
    ),
  }),
);
const tool = { type: 'function', function: { name: 'f' } };

const bodyArbitrary = fc.record(
  {
    model: fc.constant('chat'),
    messages: fc.array(messageArbitrary, { minLength: 1, maxLength: 4 }),
    max_tokens: fc.option(fc.integer({ min: 1, max: 1_000_000 })),
    max_completion_tokens: fc.option(fc.integer({ min: 1, max: 1_000_000 })),
    n: fc.option(fc.integer({ min: 1, max: 128 })),
    logprobs: fc.option(fc.boolean()),
    top_logprobs: fc.option(fc.integer({ min: 0, max: 20 })),
    tools: fc.array(fc.constant(tool), { maxLength: 5 }),
    stream: fc.boolean(),
  },
  { requiredKeys: ['model', 'messages'] },
);

const schema = chatRequestSchema(64);
const smallest = (
  caps: readonly MeterCapConfig[],
  pick: (cap: MeterCapConfig) => number | undefined,
) => Math.min(...caps.map(pick).filter((value) => value !== undefined));

describe('enforceCaps on random requests and caps', () => {
  it('refuses with its own codes or sends a body within every cap, never touching the client body', () => {
    let admitted = 0;
    let refused = 0;
    fc.assert(
      fc.property(bodyArbitrary, fc.array(capArbitrary, { maxLength: 4 }), (raw, caps) => {
        const body = schema.parse(raw);
        const exchange = newExchange(
          'r',
          'chat',
          '/v1/chat/completions',
          new AbortController().signal,
        );
        exchange.request = { kind: 'chat', body };
        exchange.upstreamBody = { ...body, model: 'upstream' };
        const before = structuredClone(body);
        try {
          enforceCaps(caps, exchange);
        } catch (error) {
          expect(error).toBeInstanceOf(RampartError);
          expect(['meter.cap_exceeded', 'meter.logprobs_forbidden']).toContain(
            (error as RampartError).code,
          );
          refused++;
          return;
        }
        admitted++;
        expect(body).toEqual(before);
        const upstream = exchange.upstreamBody;
        const tokenCap = smallest(caps, (cap) => cap.maxTokens);
        if (Number.isFinite(tokenCap)) {
          const sent = [upstream['max_tokens'], upstream['max_completion_tokens']].filter(
            (value): value is number => typeof value === 'number',
          );
          expect(sent.length).toBeGreaterThan(0);
          for (const value of sent) expect(value).toBeLessThanOrEqual(tokenCap);
        }
        expect((body.n ?? 1) <= smallest(caps, (cap) => cap.n)).toBe(true);
        expect(body.tools?.length ?? 0).toBeLessThanOrEqual(smallest(caps, (cap) => cap.maxTools));
        expect(promptChars(body)).toBeLessThanOrEqual(smallest(caps, (cap) => cap.maxPromptChars));
        if (caps.some((cap) => cap.logprobs === 'strip' || cap.logprobs === 'refuse')) {
          expect(
            upstream['logprobs'] === true || typeof upstream['top_logprobs'] === 'number',
          ).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
    // Both sides were exercised: the property is not vacuous.
    expect(admitted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});
