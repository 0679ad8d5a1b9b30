import { startMockAppCheck, type MockAppCheck } from '@rampart/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryReplayCache } from '../../pipeline/authenticate/replay.js';
import { createAppCheckVerifier, type AppCheckVerifier } from './index.js';

const NOW_S = 1_800_000_000;
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';

describe('App Check: hostile input never passes and never throws', () => {
  let firebase: MockAppCheck;
  let verifier: AppCheckVerifier;
  let token: string;
  beforeAll(async () => {
    firebase = await startMockAppCheck();
    verifier = createAppCheckVerifier({
      projectNumber: firebase.projectNumber,
      appIds: [firebase.appId],
      jwksUri: firebase.jwksUri,
      now: () => NOW_S * 1000,
      replay: new MemoryReplayCache(10_000),
    });
    token = await firebase.token({}, { now: NOW_S });
    // Warm the key cache with another genuine token, so the one above stays unconsumed.
    const warm = await verifier.verify(await firebase.token({}, { now: NOW_S }));
    expect(warm.outcome).toBe('valid');
  });
  afterAll(() => firebase.close());

  it('every mutation of a genuine token is invalid', async () => {
    const edit = fc.record({
      at: fc.nat(),
      char: fc.constantFrom(...TOKEN_CHARS),
      op: fc.constantFrom('replace', 'insert', 'delete', 'truncate'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        let mutated = token;
        for (const { at: raw, char, op } of edits) {
          const at = raw % (mutated.length + 1);
          if (op === 'replace') mutated = mutated.slice(0, at) + char + mutated.slice(at + 1);
          else if (op === 'insert') mutated = mutated.slice(0, at) + char + mutated.slice(at);
          else if (op === 'delete') mutated = mutated.slice(0, at) + mutated.slice(at + 1);
          else mutated = mutated.slice(0, at);
        }
        fc.pre(mutated !== token);
        expect((await verifier.verify(mutated)).outcome).toBe('invalid');
      }),
      { numRuns: 300 },
    );
    // None of the mutations consumed the genuine token's id.
    expect((await verifier.verify(token)).outcome).toBe('valid');
  });

  it('random strings and random three-segment strings are invalid', async () => {
    const segment = fc.string({
      unit: fc.constantFrom(...TOKEN_CHARS.slice(0, 64)),
      maxLength: 120,
    });
    const candidate = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(segment, { minLength: 3, maxLength: 3 }).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(candidate, async (input) => {
        expect((await verifier.verify(input)).outcome).toBe('invalid');
      }),
      { numRuns: 300 },
    );
  });
});
