import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalRecoveryCode, hashRecoveryCode, newRecoveryCodes } from './recovery.js';
import { MAX_USERNAME_LENGTH, normalizeUsername } from './username.js';
import { assertionIds } from './passkeys.js';

describe('hostile input: usernames, recovery codes, passkey responses', () => {
  it('capital and small sharp s and ss are one account (the case fold reaches its fixed point)', () => {
    const keys = ['ẞob', 'ßob', 'SSob', 'ssob'].map((name) => normalizeUsername(name)?.key);
    expect(new Set(keys)).toEqual(new Set(['ssob']));
  });

  it('normalizeUsername never throws, bounds its output and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (input) => {
        const name = normalizeUsername(input);
        if (name === undefined) return;
        expect([...name.display].length).toBeLessThanOrEqual(MAX_USERNAME_LENGTH);
        expect(normalizeUsername(name.display)?.key).toBe(name.key);
        expect(normalizeUsername(name.key)?.key).toBe(name.key);
      }),
      { numRuns: 2000 },
    );
  });

  it('canonicalRecoveryCode accepts only 16 Crockford base32 characters and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (input) => {
        const code = canonicalRecoveryCode(input);
        if (code !== undefined) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
      }),
      { numRuns: 2000 },
    );
    for (const code of newRecoveryCodes()) {
      const canonical = canonicalRecoveryCode(code) as string;
      expect(canonicalRecoveryCode(code.toLowerCase().replaceAll('-', ' '))).toBe(canonical);
      expect(hashRecoveryCode(canonical)).toMatch(/^[\w-]{43}$/);
    }
  });

  it('assertionIds reads ids from any JSON without throwing, bounded', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const object = typeof value === 'object' && value !== null && !Array.isArray(value);
        if (!object) return;
        const ids = assertionIds(value);
        if (ids !== undefined) expect(ids.id.length).toBeLessThanOrEqual(1024);
      }),
      { numRuns: 1000 },
    );
  });
});
