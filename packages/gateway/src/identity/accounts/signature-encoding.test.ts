import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStrictEcdsaDer } from './signature-encoding.js';

/** A strict DER ECDSA signature with the given integer bodies. */
function der(r: number[], s: number[]): Uint8Array {
  const body = [0x02, r.length, ...r, 0x02, s.length, ...s];
  return new Uint8Array([0x30, body.length, ...body]);
}

const R = [0x00, 0x9a, ...Array<number>(31).fill(0x11)];
const S = [0x5b, ...Array<number>(31).fill(0x22)];

describe('strict DER ECDSA signatures (the one spelling accepted for passkeys)', () => {
  it('accepts minimal positive integers', () => {
    expect(isStrictEcdsaDer(der(R, S))).toBe(true);
  });

  it('refuses a second spelling of the same signature: padding, a wrong length, trailing bytes', () => {
    expect(isStrictEcdsaDer(der([0x00, ...S], S))).toBe(false); // needless leading zero
    const wrongLength = der(R, S);
    wrongLength[1] = (wrongLength[1] ?? 0) + 1;
    expect(isStrictEcdsaDer(wrongLength)).toBe(false);
    expect(isStrictEcdsaDer(new Uint8Array([...der(R, S), 0x00]))).toBe(false);
    expect(isStrictEcdsaDer(der([0x9a, ...R.slice(2)], S))).toBe(false); // negative
  });

  it('accepts exactly the bytes that re-encode to themselves (property)', () => {
    const valid = der(R, S);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const bytes = Uint8Array.from(valid);
        const at = index % bytes.length;
        bytes[at] = (bytes[at] ?? 0) ^ mask;
        // A change inside r or s keeps a strict encoding (and fails the signature check); a
        // change to a tag or length never passes.
        const inStructure = at <= 3 || at === 4 + R.length || at === 5 + R.length;
        if (inStructure) expect(isStrictEcdsaDer(bytes)).toBe(false);
      }),
    );
  });
});
