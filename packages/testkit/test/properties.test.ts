import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSse, startMockUpstream, type MockUpstream } from '../src/index.js';
import { splitText } from '../src/split.js';
import { ANTHROPIC_HEADERS, CHAT, MESSAGE, post, type ChatChunk } from './helpers.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

describe('splitText', () => {
  it('splits any text into exactly n pieces that join back to it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 40 }), (text, n) => {
        const pieces = splitText(text, n);
        expect(pieces).toHaveLength(n);
        expect(pieces.join('')).toBe(text);
        // No piece starts with the second half of a surrogate pair.
        for (const piece of pieces) expect(piece).not.toMatch(/^[\udc00-\udfff]/);
      }),
    );
  });
});

describe('collectSse', () => {
  const name = fc.stringMatching(/^[a-z_]{1,12}$/);
  const data = fc.string().filter((s) => !s.includes('\r'));

  it('reads back any events written in the event-stream format', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ event: fc.option(name, { nil: undefined }), data })),
        (events) => {
          const text = events
            .map(
              (e) =>
                `${e.event === undefined ? '' : `event: ${e.event}\n`}${e.data
                  .split('\n')
                  .map((line) => `data: ${line}\n`)
                  .join('')}\n`,
            )
            .join('');
          const expected = events.map((e) =>
            e.event === undefined ? { data: e.data } : { event: e.event, data: e.data },
          );
          expect(collectSse(text)).toEqual(expected);
        },
      ),
    );
  });

  it('ignores comments, accepts CRLF and drops an unterminated last event', () => {
    expect(collectSse(': hi\r\nevent: a\r\ndata:x\r\n\r\ndata: y')).toEqual([
      { event: 'a', data: 'x' },
    ]);
  });
});

describe('streams carry any reply intact', () => {
  it('OpenAI and Anthropic deltas concatenate to the configured reply', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.integer({ min: 1, max: 12 }),
        async (reply, streamChunks) => {
          mock.setOptions({ reply, streamChunks });
          const openai = collectSse(
            await (await post(mock, '/v1/chat/completions', { ...CHAT, stream: true })).text(),
          );
          const text = openai
            .slice(0, -1)
            .map((e) => (JSON.parse(e.data) as ChatChunk).choices[0]?.delta.content ?? '')
            .join('');
          expect(text).toBe(reply);
          const anthropic = collectSse(
            await (
              await post(mock, '/v1/messages', { ...MESSAGE, stream: true }, ANTHROPIC_HEADERS)
            ).text(),
          );
          const deltas = anthropic
            .filter((e) => e.event === 'content_block_delta')
            .map((e) => (JSON.parse(e.data) as { delta: { text: string } }).delta.text);
          expect(deltas).toHaveLength(streamChunks);
          expect(deltas.join('')).toBe(reply);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('hostile request bodies', () => {
  const paths = fc.constantFrom(
    '/v1/chat/completions',
    '/v1/embeddings',
    '/v1/messages',
    '/v1/models',
    '/v1/nope',
  );
  const body = fc.oneof(
    fc.string(),
    fc.json(),
    fc
      .record({
        model: fc.oneof(fc.string(), fc.constant('fault:http-500'), fc.anything()),
        messages: fc.anything(),
        input: fc.anything(),
        stream: fc.anything(),
        stream_options: fc.anything(),
        dimensions: fc.anything(),
        max_tokens: fc.anything(),
      })
      .map((value) => JSON.stringify(value) ?? ''),
  );

  it('always get an HTTP answer, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(paths, body, async (path, text) => {
        const res = await post(mock, path, text, ANTHROPIC_HEADERS);
        expect([200, 400, 404, 500]).toContain(res.status);
        await res.arrayBuffer();
      }),
      { numRuns: 150 },
    );
    mock.setOptions({ reply: 'still here', streamChunks: 8 });
    expect((await post(mock, '/v1/chat/completions', CHAT)).status).toBe(200);
  });
});
