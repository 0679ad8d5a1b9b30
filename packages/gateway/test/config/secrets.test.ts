import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isRampartError } from '@rampart/core';
import { startMockUpstream } from '@rampart/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { resolveSecrets, validateConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging.js';
import { startGateway } from '../../src/server.js';
import { tempDir } from '../helpers/tmp.js';

async function refusal(fn: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await fn();
  } catch (error) {
    if (isRampartError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

function captureLogger() {
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      captured += chunk.toString();
      callback();
    },
  });
  return { logger: createLogger('info', sink), logs: () => captured };
}

const twoProviders = (baseUrl: string, dataDir: string, optional: boolean) =>
  validateConfig({
    dataDir,
    server: { port: 0 },
    auth: { mode: 'none' },
    providers: {
      main: { type: 'openai-compatible', baseUrl, apiKeyEnv: 'MAIN_KEY' },
      extra: { type: 'anthropic', baseUrl, apiKeyEnv: 'EXTRA_KEY', optional },
    },
    models: {
      chat: { provider: 'main', model: 'm' },
      'extra-chat': { provider: 'extra', model: 'c' },
    },
  });

describe('secrets at start-up', () => {
  it('an optional provider without its key is left out with its aliases, and logged at warn', async () => {
    const mock = await startMockUpstream();
    onTestFinished(() => mock.close());
    const config = twoProviders(`${mock.url}/v1`, tempDir(), true);
    const { logger, logs } = captureLogger();
    const gateway = await startGateway(config, {
      env: { MAIN_KEY: 'sk-main' },
      logger,
      processMetrics: false,
    });
    onTestFinished(() => gateway.close());

    expect(gateway.models).toEqual(['chat']);
    const listed = (await (await fetch(`${gateway.url}/v1/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(listed.data.map((m) => m.id)).toEqual(['chat']);
    const warning = logs()
      .split('\n')
      .filter((line) => line.includes('"provider":"extra"'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(warning).toHaveLength(1);
    expect(warning[0]?.level).toBe(40);
    expect(warning[0]?.msg).toContain('EXTRA_KEY');
    expect(warning[0]?.msg).toContain('extra-chat');
  });

  it('a provider that is not optional and lacks its key is refused before the store is opened', async () => {
    const dataDir = join(tempDir(), 'data');
    const config = twoProviders('https://api.example.com/v1', dataDir, false);
    const { code, message } = await refusal(() =>
      startGateway(config, { env: { MAIN_KEY: 'sk-main' }, processMetrics: false }),
    );
    expect(code).toBe('config.secret_missing');
    expect(message).toContain('providers.extra.apiKeyEnv');
    expect(message).toContain('EXTRA_KEY');
    expect(message).toContain('optional: true');
    // Nothing was opened, created or migrated.
    expect(existsSync(dataDir)).toBe(false);
  });

  it('every missing secret is reported in one round, key sources included', async () => {
    const dir = tempDir();
    const config = validateConfig({
      dataDir: join(dir, 'data'),
      providers: {
        a: { type: 'openai-compatible', baseUrl: 'https://a.example/v1', apiKeyEnv: 'A_KEY' },
        b: {
          type: 'openai-compatible',
          baseUrl: 'https://b.example/v1',
          apiKeyFile: join(dir, 'absent'),
        },
      },
      models: { x: { provider: 'a', model: 'x' }, y: { provider: 'b', model: 'y' } },
      keys: {
        'cookie-secret': { env: 'COOKIE_KEYS' },
        'oidc-signing': { file: join(dir, 'oidc.json') },
      },
    });
    const secrets = await resolveSecrets(config, {});
    expect(secrets.problems.map((p) => p.key).sort()).toEqual([
      'keys.cookie-secret.env',
      'keys.oidc-signing.file',
      'providers.a.apiKeyEnv',
      'providers.b.apiKeyFile',
    ]);
    const { message } = await refusal(() => startGateway(config, { env: {} }));
    expect(message).toContain('COOKIE_KEYS');
    expect(message).toContain('oidc.json');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('an unreadable key source file is a problem with its keys.* code', async () => {
    const dir = tempDir();
    const file = join(dir, 'cookie.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    const config = validateConfig({ keys: { 'cookie-secret': { file } } });
    const secrets = await resolveSecrets(config, {});
    expect(secrets.problems).toHaveLength(1);
    expect(secrets.problems[0]?.key).toBe('keys.cookie-secret.file');
    expect(secrets.problems[0]?.code).toMatch(/^keys\./);
    expect(readdirSync(dir)).toEqual(['cookie.json']);
  });

  it('when every provider is optional and none has its key, the start is refused', async () => {
    const config = validateConfig({
      providers: {
        a: {
          type: 'openai-compatible',
          baseUrl: 'https://a.example/v1',
          apiKeyEnv: 'A_KEY',
          optional: true,
        },
      },
      models: { x: { provider: 'a', model: 'x' } },
    });
    const secrets = await resolveSecrets(config, {});
    expect(secrets.skipped.map((s) => s.name)).toEqual(['a']);
    expect(secrets.problems.map((p) => p.key)).toEqual(['providers']);
  });
});
