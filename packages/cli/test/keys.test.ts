import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';

const bin = fileURLToPath(new URL('../bin/rampart.js', import.meta.url));

function rampart(args: string[], dataDir: string) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', RAMPART_DATA_DIR: dataDir },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface KeySetFile {
  keys: Array<{ notAfter?: string; jwk: { kid: string } }>;
}

const keySet = (dataDir: string, name: string) =>
  JSON.parse(readFileSync(join(dataDir, 'keys', `${name}.json`), 'utf8')) as KeySetFile;

describe('rampart keys rotate', () => {
  it('makes a new current key and keeps the previous one with a notAfter one overlap away', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rampart-keys-'));
    const first = rampart(['keys', 'rotate', 'oidc-signing'], dataDir);
    expect(first.code).toBe(EXIT.ok);
    const before = keySet(dataDir, 'oidc-signing').keys;
    expect(before).toHaveLength(2);
    const second = rampart(['keys', 'rotate', 'oidc-signing', '--overlap-hours', '1'], dataDir);
    expect(second.code).toBe(EXIT.ok);
    const after = keySet(dataDir, 'oidc-signing').keys;
    expect(after[1]?.jwk.kid).toBe(before[0]?.jwk.kid);
    expect(after[0]?.notAfter).toBeUndefined();
    const overlap = Date.parse(after[1]?.notAfter ?? '') - Date.now();
    expect(overlap).toBeGreaterThan(3_500_000);
    expect(overlap).toBeLessThanOrEqual(3_600_000);
    expect(second.stdout).toContain(after[0]?.jwk.kid);
    // Key ids only: no key material on the terminal.
    expect(second.stdout).not.toMatch(/"d"|"k"/);
  });

  it('refuses an unknown key name and a malformed overlap with exit 2', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rampart-keys-'));
    const unknown = rampart(['keys', 'rotate', 'api-key'], dataDir);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('oidc-signing');
    const malformed = rampart(
      ['keys', 'rotate', 'cookie-secret', '--overlap-hours', '-1'],
      dataDir,
    );
    expect(malformed.code).toBe(EXIT.usage);
  });
});
