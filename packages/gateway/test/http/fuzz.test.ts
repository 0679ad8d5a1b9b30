import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../src/pipeline/limits/json-body.js';
import { isRampartError } from '@rampart/core';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: { limits: { maxBodyBytes: 16 * 1024, maxChatBodyBytes: 16 * 1024 } },
  });
});
afterAll(async () => {
  await h.close();
});

describe('hostile bodies never crash the gateway or yield a 500', () => {
  it('parseJsonBody returns a value or throws a catalogue error, for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            parseJsonBody(text, { maxDepth: 8, maxObjectKeys: 64 });
          } catch (error) {
            expect(isRampartError(error)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  const mutatedChat = fc
    .record({
      model: fc.oneof(fc.constant('chat'), fc.string(), fc.integer(), fc.constant(null)),
      messages: fc.oneof(
        fc.array(
          fc.record({ role: fc.oneof(fc.constant('user'), fc.string()), content: fc.jsonValue() }),
          { maxLength: 4 },
        ),
        fc.jsonValue(),
      ),
      stream: fc.oneof(fc.boolean(), fc.jsonValue()),
      temperature: fc.oneof(fc.double(), fc.string(), fc.constant(undefined)),
    })
    .map((body) => JSON.stringify(body));

  it.each([
    ['random JSON values', fc.jsonValue().map((v) => JSON.stringify(v))],
    ['mutated chat requests', mutatedChat],
    ['random strings', fc.string({ maxLength: 300 })],
    [
      'random bytes',
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    ],
  ])('%s sent to /v1/chat/completions get a 2xx or a 4xx problem', async (_name, bodies) => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const response = await h.fetch('/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const text = await response.text();
        if (response.status >= 300) {
          expect(response.status).toBeLessThan(500);
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(JSON.parse(text)).toHaveProperty('code');
        }
      }),
      { numRuns: 120 },
    );
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});
