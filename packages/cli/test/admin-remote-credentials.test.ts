import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  CredentialsError,
  CredentialsFile,
  defaultCredentialsPath,
  type StoredLogin,
} from '../src/commands/admin/remote/credentials.js';
import { gatewayUrl, urlKey, UsageError } from '../src/commands/admin/remote/gateway-url.js';
import { newDpopKey } from '../src/commands/admin/remote/dpop-key.js';
import { EXIT } from '../src/exit-codes.js';
import { main } from '../src/main.js';

const login = (refreshToken: string): StoredLogin => ({
  issuer: 'https://gw.example.com',
  clientId: 'rampart-cli',
  accessToken: 'access',
  accessTokenExpiresAt: 1,
  refreshToken,
  dpopKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' },
});

const fresh = () =>
  join(mkdtempSync(join(tmpdir(), 'rampart-creds-')), 'nested', 'credentials.json');

describe('credentials file', () => {
  it('keeps one entry per gateway, written 0600 in a 0700 directory, leaving no temporary file', async () => {
    const path = fresh();
    const file = new CredentialsFile(path);
    await file.put('https://a.example.com', login('one'));
    await file.put('https://b.example.com', login('two'));
    await file.put('https://a.example.com', login('rotated'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(path, '..'))).toEqual(['credentials.json']);
    expect((await file.get('https://a.example.com'))?.refreshToken).toBe('rotated');
    expect((await file.get('https://b.example.com'))?.refreshToken).toBe('two');
    expect(await file.delete('https://a.example.com')).toBe(true);
    expect(await file.delete('https://a.example.com')).toBe(false);
    expect(await file.get('https://a.example.com')).toBeUndefined();
  });

  it('defaults to $XDG_CONFIG_HOME/rampart, or ~/.config/rampart when it is unset or relative', () => {
    expect(defaultCredentialsPath({ XDG_CONFIG_HOME: '/cfg' })).toBe(
      '/cfg/rampart/credentials.json',
    );
    expect(defaultCredentialsPath({ XDG_CONFIG_HOME: 'relative' })).toMatch(
      /\/\.config\/rampart\/credentials\.json$/,
    );
    expect(defaultCredentialsPath({})).toMatch(/\/\.config\/rampart\/credentials\.json$/);
  });

  it('random and mutated file contents give entries or a CredentialsError, never a crash', async () => {
    const path = fresh();
    const file = new CredentialsFile(path);
    await file.put('https://a.example.com', login('valid'));
    const valid = JSON.stringify({ version: 1, gateways: { 'https://a.example.com': login('v') } });
    const contents = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      fc.json({ maxDepth: 5 }).map((text) => Buffer.from(text)),
      fc
        .tuple(fc.nat({ max: valid.length }), fc.string({ maxLength: 6 }), fc.nat({ max: 8 }))
        .map(([at, insert, cut]) =>
          Buffer.from(valid.slice(0, at) + insert + valid.slice(at + cut)),
        ),
    );
    await fc.assert(
      fc.asyncProperty(contents, async (bytes) => {
        writeFileSync(path, bytes);
        try {
          const entry = await file.get('https://a.example.com');
          if (entry !== undefined) expect(entry.accessToken).toBeTypeOf('string');
        } catch (error) {
          expect(error).toBeInstanceOf(CredentialsError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a file larger than 256 KiB before parsing it', async () => {
    const path = fresh();
    const file = new CredentialsFile(path);
    await file.put('https://a.example.com', login('x'));
    writeFileSync(path, ' '.repeat(256 * 1024 + 1));
    await expect(file.get('https://a.example.com')).rejects.toThrow(/larger than/);
  });
});

describe('--url', () => {
  it('accepts https and loopback http, normalised without a trailing slash', () => {
    expect(urlKey(gatewayUrl('https://gw.example.com/'))).toBe('https://gw.example.com');
    expect(urlKey(gatewayUrl('https://gw.example.com/base/'))).toBe('https://gw.example.com/base');
    expect(urlKey(gatewayUrl('http://127.0.0.1:8787'))).toBe('http://127.0.0.1:8787');
    expect(urlKey(gatewayUrl('http://[::1]:8787'))).toBe('http://[::1]:8787');
  });

  it.each([
    'http://gw.example.com',
    'http://10.0.0.1:8787',
    'https://user:pass@gw.example.com',
    'https://gw.example.com/?x=1',
    'ftp://gw.example.com',
    'not a url',
  ])('refuses %s', (text) => {
    expect(() => gatewayUrl(text)).toThrow(UsageError);
  });
});

describe('an unreachable gateway', () => {
  it('login and a remote verb exit 2 with the reason, without waiting for a browser', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-unreachable-'));
    const credentials = join(dir, 'credentials.json');
    writeFileSync(
      credentials,
      JSON.stringify({
        version: 1,
        gateways: { 'http://127.0.0.1:1': { ...login('r'), dpopKey: (await newDpopKey()).jwk } },
      }),
      { mode: 0o600 },
    );
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      stderr += String(text);
      return true;
    });
    try {
      const args = ['--url', 'http://127.0.0.1:1', '--credentials', credentials];
      expect(await main(['admin', 'login', ...args])).toBe(EXIT.usage);
      expect(stderr).toContain('no OAuth provider found');
      stderr = '';
      // The stored token has expired (expiresAt 1): the refresh cannot reach the gateway.
      expect(await main(['admin', 'list-users', ...args])).toBe(EXIT.usage);
      expect(stderr).toContain('cannot reach http://127.0.0.1:1');
    } finally {
      vi.restoreAllMocks();
    }
  });
});
