import {
  createPlayIntegrityKeys,
  examplePlayIntegrityVerdict,
  mintPlayIntegrityToken,
  PLAY_INTEGRITY_EXAMPLE as EXAMPLE,
} from '@rampart/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPlayIntegrityVerifier, type PlayIntegrityVerifier } from './index.js';

const BINDING = { kind: 'standard', requestHash: EXAMPLE.requestHash } as const;
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';

/** One edit of a token: a character replaced, deleted or inserted, a cut, or bytes appended. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('replace'), at: fc.nat(), char: fc.constantFrom(...TOKEN_CHARS) }),
  fc.record({ op: fc.constant('delete'), at: fc.nat() }),
  fc.record({ op: fc.constant('insert'), at: fc.nat(), char: fc.constantFrom(...TOKEN_CHARS) }),
  fc.record({ op: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ op: fc.constant('append'), text: fc.string({ maxLength: 64 }) }),
);
type Mutation =
  | { op: 'replace' | 'insert'; at: number; char: string }
  | { op: 'delete' | 'truncate'; at: number }
  | { op: 'append'; text: string };

function mutate(token: string, edits: readonly Mutation[]): string {
  let out = token;
  for (const edit of edits) {
    switch (edit.op) {
      case 'replace': {
        const at = edit.at % (out.length + 1);
        out = out.slice(0, at) + edit.char + out.slice(at + 1);
        break;
      }
      case 'insert': {
        const at = edit.at % (out.length + 1);
        out = out.slice(0, at) + edit.char + out.slice(at);
        break;
      }
      case 'delete': {
        const at = edit.at % (out.length + 1);
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      }
      case 'truncate':
        out = out.slice(0, edit.at % (out.length + 1));
        break;
      case 'append':
        out += edit.text;
        break;
    }
  }
  return out;
}

describe('Play Integrity: hostile input never passes and never throws', () => {
  let verifier: PlayIntegrityVerifier;
  let token: string;
  beforeAll(async () => {
    const keys = await createPlayIntegrityKeys();
    verifier = createPlayIntegrityVerifier({
      keys,
      policy: { packageName: EXAMPLE.packageName },
      now: () => EXAMPLE.timestampMillis,
    });
    token = await mintPlayIntegrityToken(keys, examplePlayIntegrityVerdict());
  });

  it('the unmutated token is valid (so every refusal below is the mutation’s doing)', async () => {
    expect((await verifier.verify(token, BINDING)).outcome).toBe('valid');
  });

  it('every mutation of a genuine token is invalid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (edits) => {
        const mutated = mutate(token, edits);
        fc.pre(mutated !== token);
        const result = await verifier.verify(mutated, BINDING);
        expect(result.outcome).toBe('invalid');
      }),
      { numRuns: 400 },
    );
  });

  it('random strings and random five-segment strings are invalid', async () => {
    const segment = fc.string({
      unit: fc.constantFrom(...TOKEN_CHARS.slice(0, 64)),
      maxLength: 80,
    });
    const candidate = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(segment, { minLength: 5, maxLength: 5 }).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(candidate, async (input) => {
        const result = await verifier.verify(input, BINDING);
        expect(result.outcome).toBe('invalid');
      }),
      { numRuns: 400 },
    );
  });
});
