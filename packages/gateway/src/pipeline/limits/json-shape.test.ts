import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJsonShape } from './json-shape.js';

/** Depth and largest object of a parsed value: what the text scan must agree with. */
function measure(value: unknown, depth = 0): { depth: number; keys: number } {
  if (typeof value !== 'object' || value === null) return { depth, keys: 0 };
  const children = Object.values(value as Record<string, unknown>);
  let result = { depth: depth + 1, keys: Array.isArray(value) ? 0 : children.length };
  for (const child of children) {
    const inner = measure(child, depth + 1);
    result = {
      depth: Math.max(result.depth, inner.depth),
      keys: Math.max(result.keys, inner.keys),
    };
  }
  return result;
}

const verdict = (text: string, maxDepth: number, maxObjectKeys: number) => {
  try {
    checkJsonShape(text, { maxDepth, maxObjectKeys });
    return 'ok';
  } catch (error) {
    return (error as Error).message.includes('deeper') ? 'deep' : 'keys';
  }
};

describe('the JSON shape check on the text', () => {
  it('agrees with the parsed value on depth and members, for any JSON (strings with quotes, escapes, braces and colons included)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 6 }),
        (value, maxDepth, maxObjectKeys) => {
          const text = JSON.stringify(value);
          const { depth, keys } = measure(value);
          const expected = depth > maxDepth ? 'deep' : keys > maxObjectKeys ? 'keys' : 'ok';
          // Depth is found first on the way in, keys as they are counted: either refusal is
          // right when both bounds are broken.
          if (expected === 'ok') expect(verdict(text, maxDepth, maxObjectKeys)).toBe('ok');
          else expect(verdict(text, maxDepth, maxObjectKeys)).not.toBe('ok');
          if (depth <= maxDepth && keys > maxObjectKeys) {
            expect(verdict(text, maxDepth, maxObjectKeys)).toBe('keys');
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but its refusals on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(['ok', 'deep', 'keys']).toContain(verdict(text, 4, 4));
      }),
    );
  });

  it('150,000 keys in one object are refused from the text, with a bounded message', () => {
    const keys = Array.from({ length: 150_000 }, (_, i) => `"k${i}":1`).join(',');
    expect(() => checkJsonShape(`{${keys}}`, { maxDepth: 32, maxObjectKeys: 1000 })).toThrow(
      /more than 1000 members/,
    );
  });

  it('a 27 MiB string is skipped, not walked, and a backslash before a quote is honoured', () => {
    const image = 'A'.repeat(27 * 1024 * 1024);
    expect(() =>
      checkJsonShape(`{"url":"${image}","t":"a\\\\","u":"b\\"{{{"}`, {
        maxDepth: 2,
        maxObjectKeys: 3,
      }),
    ).not.toThrow();
  });
});
