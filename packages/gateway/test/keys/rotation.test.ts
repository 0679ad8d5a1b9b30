import { readFileSync } from 'node:fs';
import { createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openKeyring } from '../../src/keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { DAY, failureOf, keyFile, manualClock } from './fixtures.js';

describe('key rotation', () => {
  it('keeps the previous key verifying until notAfter, then drops it', async () => {
    const clock = manualClock();
    const keyring = await openKeyring({ dataDir: tempDir(), sources: {}, now: clock.now });
    const old = keyring.current('oidc-signing');
    const message = Buffer.from('a token signed before the rotation');
    const signature = sign('sha256', message, old.key);

    const fresh = await keyring.rotate('oidc-signing');
    expect(keyring.current('oidc-signing').kid).toBe(fresh.kid);
    expect(fresh.kid).not.toBe(old.kid);
    expect(keyring.verificationKeys('oidc-signing').map((key) => key.kid)).toEqual([
      fresh.kid,
      old.kid,
    ]);
    expect(keyring.verificationKeys('oidc-signing')[1]?.notAfter?.getTime()).toBe(
      clock.now() + 7 * DAY,
    );

    // A verifier holding only the JWKS still verifies the old signature.
    const published = keyring.jwks('oidc-signing').keys.find((jwk) => jwk.kid === old.kid);
    expect(published).toBeDefined();
    const publicKey = createPublicKey({ key: published ?? {}, format: 'jwk' });
    expect(verify('sha256', message, publicKey, signature)).toBe(true);

    clock.advance(7 * DAY - 1);
    expect(keyring.jwks('oidc-signing').keys.map((jwk) => jwk.kid)).toEqual([fresh.kid, old.kid]);
    clock.advance(1);
    expect(keyring.jwks('oidc-signing').keys.map((jwk) => jwk.kid)).toEqual([fresh.kid]);
    expect(keyring.verificationKeys('oidc-signing').map((key) => key.kid)).toEqual([fresh.kid]);
  });

  it('persists the rotation: a restart sees the same current and retiring keys', async () => {
    const clock = manualClock();
    const dataDir = tempDir();
    const first = await openKeyring({ dataDir, sources: {}, now: clock.now });
    const old = first.current('cookie-secret');
    const fresh = await first.rotate('cookie-secret');
    const second = await openKeyring({ dataDir, sources: {}, now: clock.now });
    expect(second.verificationKeys('cookie-secret').map((key) => key.kid)).toEqual([
      fresh.kid,
      old.kid,
    ]);
    expect(second.verificationKeys('cookie-secret')[1]?.exportPrivateJwk()).toEqual(
      old.exportPrivateJwk(),
    );
  });

  it('drops expired keys from the file at the next rotation', async () => {
    const clock = manualClock();
    const dataDir = tempDir();
    const keyring = await openKeyring({ dataDir, sources: {}, now: clock.now });
    const first = keyring.current('audit-checkpoint');
    const second = await keyring.rotate('audit-checkpoint');
    clock.advance(8 * DAY);
    const third = await keyring.rotate('audit-checkpoint');
    const stored = JSON.parse(readFileSync(keyFile(dataDir, 'audit-checkpoint'), 'utf8')) as {
      keys: Array<{ jwk: { kid: string } }>;
    };
    expect(stored.keys.map((entry) => entry.jwk.kid)).toEqual([third.kid, second.kid]);
    expect(stored.keys.map((entry) => entry.jwk.kid)).not.toContain(first.kid);
  });

  it('the overlap is configurable, per keyring and per rotation', async () => {
    const clock = manualClock();
    const keyring = await openKeyring({
      dataDir: tempDir(),
      sources: {},
      now: clock.now,
      rotationOverlapMs: DAY,
    });
    const first = keyring.current('oidc-signing');
    const second = await keyring.rotate('oidc-signing');
    expect(keyring.verificationKeys('oidc-signing')[1]?.notAfter?.getTime()).toBe(
      clock.now() + DAY,
    );
    // An overlap of 0 retires the current key at once (a compromised key), older ones keep theirs.
    const third = await keyring.rotate('oidc-signing', { overlapMs: 0 });
    expect(keyring.verificationKeys('oidc-signing').map((key) => key.kid)).toEqual([
      third.kid,
      first.kid,
    ]);
    expect(keyring.jwks('oidc-signing').keys.map((jwk) => jwk.kid)).not.toContain(second.kid);
  });

  it('a rotated-out data-kek is kept for decryption until removed, unless an overlap is given', async () => {
    const clock = manualClock();
    const keyring = await openKeyring({ dataDir: tempDir(), sources: {}, now: clock.now });
    const old = keyring.current('data-kek');
    await keyring.rotate('data-kek');
    clock.advance(365 * DAY);
    expect(keyring.verificationKeys('data-kek').map((key) => key.kid)).toContain(old.kid);
    await keyring.rotate('data-kek', { overlapMs: DAY });
    clock.advance(DAY);
    expect(keyring.verificationKeys('data-kek').map((key) => key.kid)).toContain(old.kid);
    expect(keyring.verificationKeys('data-kek')).toHaveLength(2);
  });

  it('concurrent rotations are applied one after the other', async () => {
    const clock = manualClock();
    const dataDir = tempDir();
    const keyring = await openKeyring({ dataDir, sources: {}, now: clock.now });
    const [a, b] = await Promise.all([
      keyring.rotate('cookie-secret'),
      keyring.rotate('cookie-secret'),
    ]);
    expect(keyring.current('cookie-secret').kid).toBe(b.kid);
    expect(keyring.verificationKeys('cookie-secret').map((key) => key.kid)).toContain(a.kid);
    const reloaded = await openKeyring({ dataDir, sources: {}, now: clock.now });
    expect(reloaded.verificationKeys('cookie-secret')).toHaveLength(3);
  });

  it('a key supplied by a file or variable cannot be rotated by Rampart', async () => {
    const origin = tempDir();
    const first = await openKeyring({ dataDir: origin, sources: {} });
    const keyring = await openKeyring({
      dataDir: tempDir(),
      sources: { 'cookie-secret': { env: 'COOKIE' } },
      env: { COOKIE: readFileSync(keyFile(origin, 'cookie-secret'), 'utf8') },
    });
    const failure = await failureOf(() => keyring.rotate('cookie-secret'));
    expect(failure.code).toBe('keys.read_only');
    expect(failure.message).toContain('COOKIE');
    expect(keyring.current('cookie-secret').kid).toBe(first.current('cookie-secret').kid);
  });
});
