import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openKeyring } from '../../src/keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { failureOf, keyFile } from './fixtures.js';

/** A key set as an operator would share it: generated once, copied into a secret. */
async function sharedKeySet(name: 'oidc-signing' | 'cookie-secret'): Promise<string> {
  const origin = tempDir();
  await openKeyring({ dataDir: origin, sources: {} });
  return readFileSync(keyFile(origin, name), 'utf8');
}

function secretFile(dir: string, name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

describe('key sources', () => {
  it('a key from an environment variable is used instead of generating one', async () => {
    const shared = await sharedKeySet('oidc-signing');
    const dataDir = tempDir();
    const keyring = await openKeyring({
      dataDir,
      sources: { 'oidc-signing': { env: 'RAMPART_KEY_OIDC' } },
      env: { RAMPART_KEY_OIDC: shared },
    });
    const expected = JSON.parse(shared) as { keys: Array<{ jwk: { kid: string } }> };
    expect(keyring.current('oidc-signing').kid).toBe(expected.keys[0]?.jwk.kid);
    expect(existsSync(keyFile(dataDir, 'oidc-signing'))).toBe(false);
    // The others are still generated.
    expect(existsSync(keyFile(dataDir, 'cookie-secret'))).toBe(true);
  });

  it('a key from a file is used, and two replicas given it agree', async () => {
    const shared = await sharedKeySet('cookie-secret');
    const secrets = tempDir();
    const file = secretFile(secrets, 'cookie-secret.json', shared);
    const sources = { 'cookie-secret': { file } };
    const a = await openKeyring({ dataDir: tempDir(), sources });
    const b = await openKeyring({ dataDir: tempDir(), sources });
    expect(a.current('cookie-secret').exportPrivateJwk()).toEqual(
      b.current('cookie-secret').exportPrivateJwk(),
    );
    expect(readFileSync(file, 'utf8')).toBe(shared);
  });

  it('a bare private JWK is accepted as the current key', async () => {
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const keyring = await openKeyring({
      dataDir: tempDir(),
      sources: { 'audit-checkpoint': { env: 'AUDIT_KEY' } },
      env: { AUDIT_KEY: JSON.stringify(jwk) },
    });
    const current = keyring.current('audit-checkpoint');
    expect(current.exportPrivateJwk()).toMatchObject({ ...jwk, alg: 'EdDSA' });
    // Without a kid, the RFC 7638 thumbprint: the same on every replica.
    expect(current.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('an unset variable is keys.unreadable naming it', async () => {
    const failure = await failureOf(() =>
      openKeyring({ dataDir: tempDir(), sources: { 'data-kek': { env: 'MISSING_KEK' } }, env: {} }),
    );
    expect(failure.code).toBe('keys.unreadable');
    expect(failure.message).toContain('MISSING_KEK');
  });

  it('a missing source file is keys.unreadable naming it', async () => {
    const file = join(tempDir(), 'absent.json');
    const failure = await failureOf(() =>
      openKeyring({ dataDir: tempDir(), sources: { 'data-kek': { file } } }),
    );
    expect(failure.code).toBe('keys.unreadable');
    expect(failure.message).toContain(file);
  });

  it('a source naming both a file and a variable, or neither, is refused', async () => {
    const both = await failureOf(() =>
      openKeyring({ dataDir: tempDir(), sources: { 'data-kek': { file: '/x', env: 'Y' } } }),
    );
    expect(both.code).toBe('config.invalid');
    const neither = await failureOf(() =>
      openKeyring({ dataDir: tempDir(), sources: { 'data-kek': {} } }),
    );
    expect(neither.code).toBe('config.invalid');
  });

  it('a key of the wrong type is refused naming the field', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    });
    const failure = await failureOf(() =>
      openKeyring({
        dataDir: tempDir(),
        sources: { 'cookie-secret': { env: 'K' } },
        env: { K: JSON.stringify({ ...ec, kid: 'c1' }) },
      }),
    );
    expect(failure.code).toBe('keys.invalid');
    expect(failure.message).toContain('kty must be "oct"');
    expect(failure.message).not.toContain(ec.d);
  });

  it('a secret key needs a kid so that replicas agree on it', async () => {
    const k = randomBytes(32).toString('base64url');
    const failure = await failureOf(() =>
      openKeyring({
        dataDir: tempDir(),
        sources: { 'data-kek': { env: 'K' } },
        env: { K: JSON.stringify({ kty: 'oct', k }) },
      }),
    );
    expect(failure.code).toBe('keys.invalid');
    expect(failure.message).toContain('kid is required');
    expect(failure.message).not.toContain(k);
  });

  it('a secret key of the wrong length is refused', async () => {
    const failure = await failureOf(() =>
      openKeyring({
        dataDir: tempDir(),
        sources: { 'data-kek': { env: 'K' } },
        env: {
          K: JSON.stringify({ kty: 'oct', kid: 'k1', k: randomBytes(16).toString('base64url') }),
        },
      }),
    );
    expect(failure.message).toContain('exactly 32 bytes');
  });

  it('a public key alone, or a public part that does not match, is refused', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    });
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    });
    const open = (jwk: object) =>
      failureOf(() =>
        openKeyring({
          dataDir: tempDir(),
          sources: { 'oidc-signing': { env: 'K' } },
          env: { K: JSON.stringify(jwk) },
        }),
      );
    const publicOnly = await open({ kty: 'EC', crv: 'P-256', x: a.x, y: a.y });
    expect(publicOnly.message).toContain('d is missing');
    const mismatched = await open({ ...a, x: b.x, y: b.y });
    expect(mismatched.code).toBe('keys.invalid');
    expect(mismatched.message).toContain('does not match');
  });

  it('a key set of another key is refused', async () => {
    const cookie = await sharedKeySet('cookie-secret');
    const failure = await failureOf(() =>
      openKeyring({
        dataDir: tempDir(),
        sources: { 'data-kek': { env: 'K' } },
        env: { K: cookie },
      }),
    );
    expect(failure.code).toBe('keys.invalid');
    expect(failure.message).toContain('name must be "data-kek"');
  });

  it('an unknown key name in sources is refused', async () => {
    const failure = await failureOf(() =>
      openKeyring({ dataDir: tempDir(), sources: { nope: { env: 'K' } } as never }),
    );
    expect(failure.code).toBe('config.invalid');
  });
});
