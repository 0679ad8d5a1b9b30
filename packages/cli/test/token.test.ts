import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway, validateConfig } from '@rampart/gateway';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EXIT } from '../src/exit-codes.js';

const bin = fileURLToPath(new URL('../bin/rampart.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rampart-token-'));

function rampart(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('rampart token --dev', () => {
  it('prints, as its last line, a 5-minute demo token that the gateway on the same data dir accepts', async () => {
    const dataDir = join(dir, 'demo');
    const result = rampart(['token', '--dev'], { RAMPART_DATA_DIR: dataDir });
    expect(result.code).toBe(EXIT.ok);
    const token = result.stdout.trimEnd().split('\n').at(-1) ?? '';
    const claims = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: 'http://127.0.0.1:8787/dev',
      aud: 'http://127.0.0.1:8787/v1',
      sub: 'demo',
      roles: ['demo'],
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(300);
    expect(claims.cnf).toBeUndefined();

    // The gateway of the same folder (and so the same keys and the default public URL).
    const gateway = await startGateway(
      validateConfig({
        dataDir,
        server: { port: 0, publicUrl: 'http://127.0.0.1:8787' },
        log: { level: 'silent' },
      }),
      { env: {}, processMetrics: false },
    );
    onTestFinished(() => gateway.close());
    const models = await fetch(`${gateway.url}/v1/models`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(models.status).toBe(200);
  });

  it('refuses outside demo mode, printing no token', () => {
    const config = join(dir, 'real.yaml');
    writeFileSync(
      config,
      [
        'providers:',
        '  real: { type: openai-compatible, baseUrl: "https://api.openai.com/v1", apiKeyEnv: OPENAI_API_KEY }',
        'models:',
        '  chat: { provider: real, model: gpt-4o-mini }',
      ].join('\n'),
    );
    const result = rampart(['token', '--dev', '--config', config], {
      RAMPART_DATA_DIR: join(dir, 'real'),
    });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('only in demo mode');
  });

  it('refuses without --dev: apps get tokens through OAuth, servers use service keys', () => {
    const result = rampart(['token'], { RAMPART_DATA_DIR: join(dir, 'none') });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stdout).toBe('');
  });
});
