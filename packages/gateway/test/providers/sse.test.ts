import { isRampartError } from '@rampart/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../../src/providers/http/sse.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function parseAll(chunks: Uint8Array[], maxEventSize?: number): SseEvent[] {
  const parser = new SseParser(maxEventSize);
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('SSE parser', () => {
  it('parses data, event names and multi-line data, and ignores comments, id and retry', () => {
    const events = parseAll([
      bytes(': keep-alive\n\ndata: {"a":1}\n\nevent: ping\ndata: x\ndata:  y\nid: 7\nretry: 5\n\n'),
    ]);
    expect(events).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'ping', data: 'x\n y' },
    ]);
  });

  it('accepts LF, CRLF and CR line endings, including CRLF split across chunks', () => {
    expect(parseAll([bytes('data: a\r\n\r\ndata: b\r\rdata: c\n\n')])).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
      { event: 'message', data: 'c' },
    ]);
    expect(parseAll([bytes('data: a\r'), bytes('\n\r'), bytes('\ndata: b\r\n\r\n')])).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
    // A chunk ending in CR, then chunks without any line break, then the end of the stream.
    expect(parseAll([bytes('data: a\r\r'), bytes('x'), bytes('y')])).toEqual([
      { event: 'message', data: 'a' },
    ]);
    expect(parseAll([bytes('data: a\r'), bytes('\r')])).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('reassembles a UTF-8 character split across chunks', () => {
    const encoded = bytes('data: é€😀\n\n');
    const events = parseAll([...encoded].map((b) => Uint8Array.of(b)));
    expect(events).toEqual([{ event: 'message', data: 'é€😀' }]);
  });

  it('does not dispatch an event the stream cut before its blank line', () => {
    expect(parseAll([bytes('data: one\n\ndata: tw')])).toEqual([{ event: 'message', data: 'one' }]);
    expect(parseAll([bytes('data: one\n\ndata: two\n')])).toEqual([
      { event: 'message', data: 'one' },
    ]);
  });

  it('refuses an event larger than the bound, even one that never ends its line', () => {
    const parser = new SseParser(100);
    expect(() => parser.push(bytes(`data: ${'x'.repeat(200)}`))).toThrow(
      expect.objectContaining({ code: 'upstream.response_too_large' }),
    );
    expect(() => parser.push(bytes('\n\n'))).toThrow(
      expect.objectContaining({ code: 'upstream.response_too_large' }),
    );
    const lines = new SseParser(100);
    expect(() => {
      for (let i = 0; i < 50; i += 1) lines.push(bytes('data: 12345\n'));
    }).toThrow(expect.objectContaining({ code: 'upstream.response_too_large' }));
  });

  it('lets comments and completed events through without counting them towards the bound', () => {
    const parser = new SseParser(64);
    for (let i = 0; i < 1000; i += 1) {
      expect(parser.push(bytes(`: ${'k'.repeat(40)}\ndata: ${i}\n\n`))).toHaveLength(1);
    }
  });
});

const lineText = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\r\n]/.test(s));
const eventArb = fc.record({
  event: fc.option(
    lineText.filter((s) => s !== ''),
    { nil: undefined },
  ),
  data: fc.array(lineText, { minLength: 1, maxLength: 4 }),
  comment: fc.option(lineText, { nil: undefined }),
});
const newline = fc.constantFrom('\n', '\r\n', '\r');

describe('SSE parser properties', () => {
  it('yields the same events however the bytes are split into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(eventArb, newline), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (events, cuts) => {
          const text = events
            .map(([e, nl]) => {
              const lines = [
                ...(e.comment === undefined ? [] : [`:${e.comment}`]),
                ...(e.event === undefined ? [] : [`event: ${e.event}`]),
                ...e.data.map((line) => `data: ${line}`),
              ];
              return lines.map((line) => line + nl).join('') + nl;
            })
            .join('');
          const expected = events.map(([e]) => ({
            event: e.event ?? 'message',
            data: e.data.join('\n'),
          }));
          const whole = parseAll([bytes(text)]);
          expect(whole).toEqual(expected);
          expect(parseAll(splitAt(bytes(text), cuts))).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a catalogue error on random bytes, and always returns', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 300 }),
        (chunks, bound) => {
          try {
            const events = parseAll(chunks, bound);
            for (const event of events) expect(event.data.length).toBeLessThanOrEqual(bound);
          } catch (err) {
            expect(isRampartError(err)).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
