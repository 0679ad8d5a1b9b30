import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openKeyring } from '../../src/keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { ALL_KEYS } from './fixtures.js';

describe('key secrecy', () => {
  it('serialising or inspecting the keyring or a key never shows key material', async () => {
    const keyring = await openKeyring({ dataDir: tempDir(), sources: {} });
    const secrets = ALL_KEYS.map((name) => {
      const jwk = keyring.current(name).exportPrivateJwk();
      return jwk.d ?? jwk.k ?? '';
    });
    const views = [
      JSON.stringify(keyring),
      inspect(keyring, { depth: 10, showHidden: true }),
      ...ALL_KEYS.flatMap((name) => [
        JSON.stringify(keyring.current(name)),
        inspect(keyring.current(name), { depth: 10, showHidden: true }),
        JSON.stringify(keyring.verificationKeys(name)),
      ]),
    ];
    for (const view of views) {
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(20);
        expect(view).not.toContain(secret);
      }
    }
    expect(JSON.parse(JSON.stringify(keyring))).toMatchObject({
      'oidc-signing': { source: 'generated', current: keyring.current('oidc-signing').kid },
    });
  });
});
