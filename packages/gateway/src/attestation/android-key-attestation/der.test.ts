import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derShapeProblem } from './der.js';

describe('the DER shape check run before any ASN.1 parser', () => {
  it('accepts one well-formed element with nested elements', () => {
    expect(
      derShapeProblem(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0xaa]), 4),
    ).toBeUndefined();
  });

  it('refuses trailing bytes, truncation, indefinite lengths and lengths beyond the container', () => {
    expect(derShapeProblem(new Uint8Array([0x02, 0x01, 0x01, 0x00]), 4)).toBe(
      'trailing bytes after the element',
    );
    expect(derShapeProblem(new Uint8Array([0x30, 0x05, 0x02, 0x01]), 4)).toBe(
      'length beyond its container',
    );
    expect(derShapeProblem(new Uint8Array([0x30, 0x80, 0x00, 0x00]), 4)).toBe('indefinite length');
    expect(derShapeProblem(new Uint8Array([0x30, 0x03, 0x02, 0x05, 0x01]), 4)).toBe(
      'length beyond its container',
    );
    expect(derShapeProblem(new Uint8Array([0x30, 0x85, 1, 0, 0, 0, 0]), 4)).toBe('bad length');
    expect(derShapeProblem(new Uint8Array(), 4)).toBe('empty input');
  });

  it('refuses nesting deeper than the bound without recursing', () => {
    const depth = 100_000;
    const nested = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) nested.set([0x30, 0x00], i * 2);
    // Each SEQUENCE here is empty and followed by a sibling: a flat run, not nesting.
    expect(derShapeProblem(nested, 8)).toBe('trailing bytes after the element');
    const deep = new Uint8Array(40);
    for (let i = 0; i < 20; i++) deep.set([0x30, 38 - 2 * i], 2 * i);
    expect(derShapeProblem(deep, 8)).toBe('nested too deeply');
    expect(derShapeProblem(deep, 32)).toBeUndefined();
  });

  it('answers for any bytes without throwing', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.integer({ min: 0, max: 40 }),
        (bytes, depth) => {
          const problem = derShapeProblem(bytes, depth);
          expect(problem === undefined || typeof problem === 'string').toBe(true);
        },
      ),
    );
  });
});
