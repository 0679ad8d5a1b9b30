import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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
