import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '@rampart/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';

// The real launcher, as `npx rampart` runs it after `npm ci` (which builds dist/).
const bin = fileURLToPath(new URL('../bin/rampart.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-'));

function rampart(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('rampart config check', () => {
  it('exits 0 for a valid file and says what it would serve', () => {
    const path = file(
      'ok.yaml',
      'providers:\n  openai:\n    type: openai-compatible\n    baseUrl: https://api.openai.com/v1\n    apiKeyEnv: OPENAI_API_KEY\nmodels:\n  assistant:\n    provider: openai\n    model: gpt-4o-mini\n',
    );
    const result = rampart(['config', 'check', path], { OPENAI_API_KEY: 'sk-test-xyz' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('assistant');
  });

  it('exits 1 and names the key and the fix for an insecure file', () => {
    const path = file('insecure.yaml', 'server:\n  host: 0.0.0.0\n');
    const result = rampart(['config', 'check', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server.host');
    expect(result.stderr).toContain('Fix:');
  });

  it('refuses, as serve would, a provider key that is not in this environment', () => {
    const path = file(
      'nokey.yaml',
      'providers:\n  openai:\n    type: openai-compatible\n    baseUrl: https://api.openai.com/v1\n    apiKeyEnv: OPENAI_API_KEY\nmodels:\n  a:\n    provider: openai\n    model: m\n',
    );
    const result = rampart(['config', 'check', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('providers.openai.apiKeyEnv');
    expect(result.stderr).toContain('OPENAI_API_KEY');
    expect(result.stderr).toContain('Fix:');
    expect(result.stdout).not.toContain('valid');
  });

  it('refuses an unreadable key source file and an unset key variable', () => {
    const path = file(
      'keys.yaml',
      `keys:\n  oidc-signing:\n    file: ${join(dir, 'absent-oidc.json')}\n  cookie-secret:\n    env: COOKIE_KEYS\n`,
    );
    const result = rampart(['config', 'check', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('keys.oidc-signing.file');
    expect(result.stderr).toContain('keys.cookie-secret.env');
  });

  it('with --skip-secrets checks everything but the secrets', () => {
    const path = file(
      'skip.yaml',
      'providers:\n  openai:\n    type: openai-compatible\n    baseUrl: https://api.openai.com/v1\n    apiKeyEnv: OPENAI_API_KEY\nmodels:\n  a:\n    provider: openai\n    model: m\n',
    );
    const result = rampart(['config', 'check', '--skip-secrets', path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Secrets not checked');
    const insecure = file('skip-insecure.yaml', 'server:\n  host: 0.0.0.0\n');
    expect(rampart(['config', 'check', '--skip-secrets', insecure]).code).toBe(1);
  });

  it('the example configuration is valid with only the OpenAI key, leaving optional providers out', () => {
    const example = fileURLToPath(new URL('../../../examples/rampart.yaml', import.meta.url));
    const result = rampart(['config', 'check', example], { OPENAI_API_KEY: 'sk-test-xyz' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('optional provider anthropic left out');
    expect(result.stderr).toContain('assistant-pro');
    expect(result.stdout).toContain('assistant, embed, local-chat');
    expect(result.stdout).not.toContain('assistant-pro');
  });

  it('exits 2 for a missing file or a usage error', () => {
    expect(rampart(['config', 'check', join(dir, 'absent.yaml')]).code).toBe(2);
    expect(rampart(['frobnicate']).code).toBe(2);
  });

  it('serve refuses an invalid configuration before listening', () => {
    const path = file('bad.yaml', 'server:\n  prot: 1\n');
    const result = rampart(['serve', '--config', path], { RAMPART_DATA_DIR: join(dir, 'data') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "port"');
  });
});

describe('rampart', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const result = rampart(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('serve --help names the environment variables, their defaults and the exit codes', () => {
    const result = rampart(['serve', '--help']);
    expect(result.code).toBe(0);
    for (const name of ['RAMPART_PORT', 'RAMPART_DATA_DIR', 'RAMPART_CONFIG']) {
      expect(result.stdout).toContain(name);
    }
    expect(result.stdout).toContain(`default ${DEFAULTS.server.port}`);
    expect(result.stdout).toContain(`default ${DEFAULTS.dataDir}`);
    for (const code of [EXIT.usage, EXIT.portInUse, EXIT.cannotListen]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${code}  `, 'm'));
    }
  });
});

describe('rampart serve when it cannot take its address', () => {
  let held: Server;
  let heldPort: number;
  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => held.close(resolve));
  });

  /** One line on stderr, no stack trace. */
  function expectOneLine(stderr: string) {
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).toContain('Fix:');
  }

  it('a port already in use is one clear line and its own exit code', () => {
    const result = rampart(['serve'], {
      RAMPART_PORT: String(heldPort),
      RAMPART_DATA_DIR: join(dir, 'in-use'),
    });
    expect(result.code).toBe(EXIT.portInUse);
    expect(result.stderr).toContain(`rampart: port ${heldPort} on 127.0.0.1 is already in use`);
    expect(result.stderr).toContain('RAMPART_PORT');
    expectOneLine(result.stderr);
  });

  it.each([
    ['an address of another machine', '192.0.2.1', 'not an address of this machine'],
    ['a name that does not resolve', 'rampart-test.invalid', 'does not resolve'],
  ])('a bind address that cannot be listened on (%s) is one clear line', (_what, host, says) => {
    const result = rampart(['serve'], {
      RAMPART_SERVER__HOST: host,
      RAMPART_SERVER__ALLOW_INSECURE_HTTP: 'true',
      // The embedded provider (on by default) needs its issuer URL on a non-loopback bind.
      RAMPART_SERVER__PUBLIC_URL: 'http://gateway.test:8787',
      RAMPART_PORT: '0',
      RAMPART_DATA_DIR: join(dir, `bind-${host}`),
    });
    expect(result.code).toBe(EXIT.cannotListen);
    expect(result.stderr).toContain(says);
    expect(result.stderr).toContain(host);
    expectOneLine(result.stderr);
  });
});
