import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openKeyring, reloadKeyring, watchKeyring } from '../../src/keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { DAY, keyFile, manualClock } from './fixtures.js';

const kids = (keys: ReadonlyArray<{ kid: string }>) => keys.map((key) => key.kid);

describe('key rotation picked up by a running keyring', () => {
  it('a rotation made by another process is read: new current key, the old one verifying through its overlap', async () => {
    const clock = manualClock();
    const dataDir = tempDir();
    const running = await openKeyring({ dataDir, sources: {}, now: clock.now });
    const old = running.current('oidc-signing').kid;
    const generation = running.generation;

    // `rampart keys rotate oidc-signing` in another process: its own keyring on the same files.
    const operator = await openKeyring({ dataDir, sources: {}, now: clock.now });
    const fresh = await operator.rotate('oidc-signing');

    const result = await reloadKeyring(running, clock.now);
    expect(result).toEqual({ changed: ['oidc-signing'], problems: [] });
    expect(running.generation).toBe(generation + 1);
    expect(running.current('oidc-signing').kid).toBe(fresh.kid);
    expect(kids(running.verificationKeys('oidc-signing'))).toEqual([fresh.kid, old]);
    expect(running.jwks('oidc-signing').keys.map((jwk) => jwk.kid)).toEqual([fresh.kid, old]);

    // Nothing changed since: no new generation, so nothing is rebuilt.
    expect(await reloadKeyring(running, clock.now)).toEqual({ changed: [], problems: [] });
    expect(running.generation).toBe(generation + 1);

    clock.advance(7 * DAY);
    expect(kids(running.verificationKeys('oidc-signing'))).toEqual([fresh.kid]);
  });

  it('a key file that cannot be reread leaves the loaded keys in use and is reported by name', async () => {
    const dataDir = tempDir();
    const running = await openKeyring({ dataDir, sources: {} });
    const before = running.current('cookie-secret').kid;
    const file = keyFile(dataDir, 'cookie-secret');
    writeFileSync(file, '{"version":1,"name":"cookie-secret","keys":[{"jwk":');
    let result = await reloadKeyring(running);
    expect(result.changed).toEqual([]);
    expect(result.problems.map((problem) => problem.name)).toEqual(['cookie-secret']);
    expect(running.current('cookie-secret').kid).toBe(before);

    chmodSync(file, 0o644);
    result = await reloadKeyring(running);
    expect(result.problems).toHaveLength(1);
    expect(String(result.problems[0]?.error)).toMatch(/group or others/);
    expect(running.current('cookie-secret').kid).toBe(before);
  });

  it('a supplied key file replaced on a replica is read; an environment key stays as loaded', async () => {
    const dataDir = tempDir();
    const scratchDir = tempDir();
    const scratch = await openKeyring({ dataDir: scratchDir, sources: {} });
    const first = JSON.stringify(scratch.current('data-kek').exportPrivateJwk());
    const file = join(tempDir(), 'kek.json');
    writeFileSync(file, first, { mode: 0o600 });
    const running = await openKeyring({
      dataDir,
      sources: { 'data-kek': { file }, 'cookie-secret': { env: 'COOKIE' } },
      env: { COOKIE: JSON.stringify(scratch.current('cookie-secret').exportPrivateJwk()) },
    });
    const cookie = running.current('cookie-secret').kid;
    const rotated = await scratch.rotate('data-kek');
    // The operator rolls out a key set: new key first, the old one kept for decryption.
    const generatedFile = readFileSync(keyFile(scratchDir, 'data-kek'), 'utf8');
    writeFileSync(file, generatedFile, { mode: 0o600 });
    const result = await reloadKeyring(running);
    expect(result.changed).toEqual(['data-kek']);
    expect(running.current('data-kek').kid).toBe(rotated.kid);
    expect(running.verificationKeys('data-kek')).toHaveLength(2);
    expect(running.current('cookie-secret').kid).toBe(cookie);
  });

  it('reloads on SIGHUP, and stops listening when stopped', async () => {
    const dataDir = tempDir();
    const running = await openKeyring({ dataDir, sources: {} });
    const infos: unknown[] = [];
    const watch = watchKeyring(running, {
      logger: { info: (fields) => infos.push(fields), warn: () => undefined },
      intervalMs: 3_600_000,
    });
    try {
      const operator = await openKeyring({ dataDir, sources: {} });
      const fresh = await operator.rotate('audit-checkpoint');
      process.emit('SIGHUP', 'SIGHUP');
      await expect.poll(() => running.current('audit-checkpoint').kid).toBe(fresh.kid);
      expect(JSON.stringify(infos)).toContain('audit-checkpoint');
      // Logged: key ids, never key material.
      expect(JSON.stringify(infos)).not.toMatch(/"d":|"k":/);
    } finally {
      watch.stop();
    }
    const operator = await openKeyring({ dataDir, sources: {} });
    const later = await operator.rotate('audit-checkpoint');
    process.emit('SIGHUP', 'SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(running.current('audit-checkpoint').kid).not.toBe(later.kid);
  });
});
