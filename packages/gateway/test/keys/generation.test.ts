import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_SPECS, openKeyring } from '../../src/keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { ALL_KEYS, keyFile } from './fixtures.js';

describe('key generation', () => {
  it('generates every key on first start: directory 0700, files 0600', async () => {
    const dataDir = tempDir();
    await openKeyring({ dataDir, sources: {} });
    expect(statSync(join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
    for (const name of ALL_KEYS) {
      expect(statSync(keyFile(dataDir, name)).mode & 0o777).toBe(0o600);
    }
  });

  it('writes the documented key-set format', async () => {
    const dataDir = tempDir();
    const keyring = await openKeyring({ dataDir, sources: {} });
    for (const name of ALL_KEYS) {
      const document = JSON.parse(readFileSync(keyFile(dataDir, name), 'utf8')) as {
        version: number;
        name: string;
        keys: Array<{ createdAt: string; notAfter?: string; jwk: Record<string, string> }>;
      };
      expect(document).toMatchObject({ version: 1, name });
      expect(document.keys).toHaveLength(1);
      const [entry] = document.keys;
      expect(entry?.notAfter).toBeUndefined();
      expect(entry?.jwk).toMatchObject({
        kid: keyring.current(name).kid,
        alg: KEY_SPECS[name].alg,
        use: KEY_SPECS[name].use,
      });
    }
  });

  it('makes keys of the documented types', async () => {
    const keyring = await openKeyring({ dataDir: tempDir(), sources: {} });
    const signing = keyring.current('oidc-signing');
    expect(signing.key.asymmetricKeyType).toBe('ec');
    expect(signing.key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(keyring.current('audit-checkpoint').key.asymmetricKeyType).toBe('ed25519');
    expect(keyring.current('cookie-secret').key.symmetricKeySize).toBe(32);
    expect(keyring.current('data-kek').key.symmetricKeySize).toBe(32);
    expect(keyring.current('cookie-secret').kid).not.toBe(keyring.current('data-kek').kid);
  });

  it('reloads the same keys on restart', async () => {
    const dataDir = tempDir();
    const first = await openKeyring({ dataDir, sources: {} });
    const before = Object.fromEntries(
      ALL_KEYS.map((name) => [name, readFileSync(keyFile(dataDir, name), 'utf8')]),
    );
    const second = await openKeyring({ dataDir, sources: {} });
    for (const name of ALL_KEYS) {
      expect(second.current(name).kid).toBe(first.current(name).kid);
      expect(second.current(name).exportPrivateJwk()).toEqual(
        first.current(name).exportPrivateJwk(),
      );
      expect(readFileSync(keyFile(dataDir, name), 'utf8')).toBe(before[name]);
    }
  });

  it('publishes the public signing key as a JWKS, without private members', async () => {
    const keyring = await openKeyring({ dataDir: tempDir(), sources: {} });
    const { keys } = keyring.jwks('oidc-signing');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
      kid: keyring.current('oidc-signing').kid,
    });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('keyrings opened at once on one data directory agree on every key', async () => {
    const dataDir = tempDir();
    const rings = await Promise.all([1, 2, 3].map(() => openKeyring({ dataDir, sources: {} })));
    for (const name of ALL_KEYS) {
      expect(new Set(rings.map((ring) => ring.current(name).kid)).size).toBe(1);
    }
  });
});
