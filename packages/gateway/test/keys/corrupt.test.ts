import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openKeyring } from '../../src/keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { failureOf, keyFile } from './fixtures.js';

describe('corrupt key files', () => {
  const cases: Array<[string, (original: string) => string, string]> = [
    ['truncated JSON', (original) => original.slice(0, original.length / 2), 'not valid JSON'],
    ['an empty file', () => '', 'is empty'],
    ['not an object', () => '[1, 2]', 'must be a JSON object'],
    [
      'an unknown format version',
      (original) => original.replace('"version": 1', '"version": 9'),
      'version must be 1',
    ],
    [
      'no keys',
      (original) => JSON.stringify({ ...JSON.parse(original), keys: [] }),
      'keys must be an array',
    ],
    [
      'a damaged private key',
      (original) => original.replace(/"d": "([^"]{4})/, '"d": "!!!!'),
      'keys[0].jwk.d must be a base64url string',
    ],
  ];

  for (const [what, corrupt, expected] of cases) {
    it(`${what} is a clear keys.invalid error naming the file, not a crash or a new key`, async () => {
      const dataDir = tempDir();
      await openKeyring({ dataDir, sources: {} });
      const file = keyFile(dataDir, 'oidc-signing');
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, corrupt(original), { mode: 0o600 });

      const failure = await failureOf(() => openKeyring({ dataDir, sources: {} }));
      expect(failure.code).toBe('keys.invalid');
      expect(failure.message).toContain(file);
      expect(failure.message).toContain(expected);
      expect(failure.message).toContain('Fix:');
      // The file is left for the operator to restore; never silently replaced.
      expect(readFileSync(file, 'utf8')).toBe(corrupt(original));
      const secret =
        (JSON.parse(original) as { keys: Array<{ jwk: { d: string } }> }).keys[0]?.jwk.d ?? '';
      expect(failure.message).not.toContain(secret.slice(4, 20));
    });
  }
});
