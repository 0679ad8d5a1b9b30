import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRampartError } from '@rampart/core';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveProviderSettings, validateConfig } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-config-'));
function yamlFile(text: string): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isRampartError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a configuration error');
}

const openai = {
  type: 'openai-compatible',
  baseUrl: 'https://api.openai.com/v1',
  apiKeyEnv: 'OPENAI_API_KEY',
};

describe('configuration', () => {
  it('an empty configuration is valid, loopback-bound and in demo mode', () => {
    const config = loadConfig({ env: {} });
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.port).toBe(8787);
    expect(config.server.publicUrl).toBe('http://127.0.0.1:8787');
    expect(config.demo).toBe(true);
  });

  it('an unknown key is refused with its path and a suggestion', () => {
    const file = yamlFile('server:\n  prot: 9000\n');
    const { code, message } = problemsOf(() => loadConfig({ file, env: {} }));
    expect(code).toBe('config.invalid');
    expect(message).toContain('server.prot');
    expect(message).toContain('did you mean "port"');
  });

  it('an unknown key inside a named entry or a fixed-name section is suggested from the schema', () => {
    const inProvider = problemsOf(() =>
      validateConfig({ providers: { openai: { ...openai, bodyTimoutMs: 2000 } } }),
    ).message;
    expect(inProvider).toContain('providers.openai.bodyTimoutMs');
    expect(inProvider).toContain('did you mean "bodyTimeoutMs"');
    const inKeys = problemsOf(() =>
      validateConfig({ keys: { 'oidc-signin': { env: 'OIDC_KEYS' } } }),
    ).message;
    expect(inKeys).toContain('did you mean "oidc-signing"');
    const inTls = problemsOf(() =>
      validateConfig({ server: { tls: { certFile: 'c.pem', keyFiel: 'k.pem' } } }),
    ).message;
    expect(inTls).toContain('did you mean "keyFile"');
  });

  it('a secret written into the file is refused with a hint to use apiKeyEnv', () => {
    const { message } = problemsOf(() =>
      validateConfig({ providers: { openai: { ...openai, apiKey: 'sk-not-here' } } }),
    );
    expect(message).toContain('providers.openai.apiKey');
    expect(message).toContain('apiKeyEnv');
    expect(message).not.toContain('sk-not-here');
  });

  it('a wrong type names the key and what was expected', () => {
    const { message } = problemsOf(() => validateConfig({ limits: { maxBodyBytes: 'lots' } }));
    expect(message).toContain('limits.maxBodyBytes');
  });

  it('a type error names the key, what is expected and the fix, with the default', () => {
    const { code, message } = problemsOf(() => validateConfig({ server: { port: 'abc' } }));
    expect(code).toBe('config.invalid');
    expect(message).toContain('server.port: expected a number, got a string');
    expect(message).toContain('Fix: write a number, or remove it to use the default (8787)');
    expect(problemsOf(() => validateConfig({ server: { port: '8080' } })).message).toContain(
      'write a number without quotes',
    );
  });

  it.each([
    [{ server: { port: 70_000 } }, 'server.port'],
    [{ server: { trustedProxies: ['not-an-ip'] } }, 'server.trustedProxies[0]'],
    [{ log: { level: 'loud' } }, 'log.level'],
    [{ dataDir: '' }, 'dataDir'],
    [{ server: 5 }, 'server'],
    [{ keys: { 'cookie-secret': {} } }, 'keys.cookie-secret'],
    [{ providers: { 'Not Lower': openai } }, 'providers.Not Lower'],
    [{ models: { m: { provider: 'p' } } }, 'models.m.model'],
    [{ database: { url: 'mysql://user:hunter2@db' } }, 'database.url'],
  ])('every schema problem names its key and a fix: %j', (raw, key) => {
    const { message } = problemsOf(() => validateConfig(raw));
    const lines = message.split('\n').slice(1);
    expect(lines.some((line) => line.startsWith(`  ${key}: `))).toBe(true);
    for (const line of lines) expect(line).toContain('Fix:');
    expect(message).not.toContain('hunter2');
  });

  it('schema errors and insecure combinations are reported together in one round', () => {
    const { code, message } = problemsOf(() =>
      validateConfig({
        server: { host: '0.0.0.0', port: 'abc', trustedProxies: ['0.0.0.0/0'] },
        providers: {
          ok: { ...openai, baseUrl: 'http://api.example.com/v1' },
          broken: { ...openai, type: 'nope' },
        },
        models: {
          a: { provider: 'ok', model: 'x' },
          b: { provider: 'broken', model: 'y' },
        },
      }),
    );
    expect(code).toBe('config.invalid');
    expect(message).toContain('server.port');
    expect(message).toContain('providers.broken.type');
    expect(message).toContain('insecure configuration refused, too');
    expect(message).toContain('server.host');
    expect(message).toContain('server.trustedProxies');
    expect(message).toContain('providers.ok.baseUrl');
    // The model of the provider set aside is not reported a second time as unconfigured.
    expect(message).not.toContain('models.b.provider');
  });

  it('a list or mapping used as a YAML key is refused naming where, without a YAML warning', () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const file = yamlFile('server:\n  ? [port]\n  : 1\n');
      const { code, message } = problemsOf(() => loadConfig({ file, env: {} }));
      expect(code).toBe('config.invalid');
      expect(message).toContain('server: a list is used as a key');
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('environment overrides map SNAKE_CASE segments onto options and name the variable in errors', () => {
    const config = loadConfig({
      env: {
        RAMPART_SERVER__PUBLIC_URL: 'https://ai.example.com',
        RAMPART_PORT: '9999',
        RAMPART_LIMITS__MAX_BODY_BYTES: '4096',
      },
    });
    expect(config.server.publicUrl).toBe('https://ai.example.com');
    expect(config.server.port).toBe(9999);
    expect(config.limits.maxBodyBytes).toBe(4096);
    const { message } = problemsOf(() => loadConfig({ env: { RAMPART_SERVER__PORT: 'eighty' } }));
    expect(message).toContain('RAMPART_SERVER__PORT');
  });

  it('environment overrides reach provider maps', () => {
    const config = loadConfig({
      file: yamlFile(
        'providers:\n  openai:\n    type: openai-compatible\n    baseUrl: https://api.openai.com/v1\nmodels:\n  m:\n    provider: openai\n    model: gpt-4o-mini\n',
      ),
      env: { RAMPART_PROVIDERS__OPENAI__MAX_RETRIES: '3' },
    });
    expect(config.providers['openai']?.maxRetries).toBe(3);
  });

  it.each([
    [{ server: { host: '0.0.0.0' } }, 'server.host'],
    [{ server: { trustedProxies: ['0.0.0.0/0'] } }, 'server.trustedProxies'],
    [{ server: { headersTimeoutMs: 60_000 } }, 'server.headersTimeoutMs'],
    [{ server: { cors: { origins: ['*'] } } }, 'server.cors.origins'],
    [
      {
        providers: { p: { ...openai, baseUrl: 'http://api.example.com/v1' } },
        models: { m: { provider: 'p', model: 'x' } },
      },
      'providers.p.baseUrl',
    ],
    [
      {
        providers: { p: { ...openai, baseUrl: 'https://user:pw@api.example.com/v1' } },
        models: { m: { provider: 'p', model: 'x' } },
      },
      'providers.p.baseUrl',
    ],
    [
      { providers: { p: openai }, models: { m: { provider: 'nope', model: 'x' } } },
      'models.m.provider',
    ],
    [{ providers: { p: openai } }, 'models'],
  ])('an insecure or inconsistent combination is refused: %j', (raw, key) => {
    const { message } = problemsOf(() => validateConfig(raw));
    expect(message).toContain(key);
    expect(message).toMatch(/Fix:|expected/);
  });

  it('the usage recorder window defaults to one second or 500 events and can be narrowed', () => {
    expect(validateConfig({}).usage).toEqual({
      flushIntervalMs: 1000,
      batchSize: 500,
      maxBuffered: 10_000,
    });
    const narrow = validateConfig({ usage: { flushIntervalMs: 100, batchSize: 50 } });
    expect(narrow.usage.flushIntervalMs).toBe(100);
    expect(narrow.usage.batchSize).toBe(50);
    expect(problemsOf(() => validateConfig({ usage: { batchSize: 0 } })).message).toContain(
      'usage.batchSize',
    );
  });

  it('a non-loopback bind is accepted with TLS terminated by a proxy', () => {
    const config = validateConfig({
      server: { host: '0.0.0.0', publicUrl: 'https://ai.example.com' },
    });
    expect(config.server.publicUrl).toBe('https://ai.example.com');
  });

  /** An external issuer: the embedded provider is then off unless asked for. */
  const withIssuer = {
    issuers: [
      {
        issuer: 'https://id.example.com/',
        jwksUri: 'https://id.example.com/.well-known/jwks.json',
        audiences: ['https://ai.example.com'],
      },
    ],
  };

  it('a non-loopback bind is accepted with native TLS', () => {
    const config = validateConfig({
      server: { host: '0.0.0.0', tls: { certFile: 'c.pem', keyFile: 'k.pem' } },
      auth: withIssuer,
    });
    expect(config.server.publicUrl).toBe('https://0.0.0.0:8787');
  });

  it('a non-loopback plain-HTTP bind is an explicit opt-in', () => {
    expect(
      validateConfig({ server: { host: '0.0.0.0', allowInsecureHttp: true }, auth: withIssuer })
        .server.host,
    ).toBe('0.0.0.0');
  });

  const publicTls = { host: '0.0.0.0', tls: { certFile: 'c.pem', keyFile: 'k.pem' } };

  it('authentication is on by default: the embedded provider is the issuer unless one is listed', () => {
    const fresh = validateConfig({});
    expect(fresh.auth.mode).toBe('required');
    expect(fresh.identity.enabled).toBe(true);
    expect(validateConfig({ auth: withIssuer }).identity.enabled).toBe(false);
    expect(validateConfig({ auth: withIssuer, identity: { enabled: true } }).identity.enabled).toBe(
      true,
    );
    expect(validateConfig({ auth: { mode: 'none' } }).identity.enabled).toBe(false);
  });

  it('auth.mode required with nothing that could authenticate a caller is refused, naming the fixes', () => {
    const { code, message } = problemsOf(() => validateConfig({ identity: { enabled: false } }));
    expect(code).toBe('config.invalid');
    expect(message).toContain('auth.mode');
    expect(message).toContain('auth.issuers');
    expect(
      validateConfig({ identity: { enabled: false }, auth: { serviceKeys: { enabled: true } } })
        .auth.mode,
    ).toBe('required');
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', '203.0.113.7', 'gateway.example.com'])(
    'auth.mode none on %s (even with TLS) is refused without server.allowUnauthenticated',
    (host) => {
      for (const providers of [
        { providers: { p: openai }, models: { m: { provider: 'p', model: 'x' } } },
        {},
      ]) {
        const { code, message } = problemsOf(() =>
          validateConfig({ server: { ...publicTls, host }, auth: { mode: 'none' }, ...providers }),
        );
        expect(code).toBe('config.insecure');
        expect(message).toContain('auth.mode');
        expect(message).toContain('server.allowUnauthenticated');
      }
    },
  );

  it('auth.mode none on a public bind is an explicit, documented opt-in', () => {
    const config = validateConfig({
      server: { ...publicTls, allowUnauthenticated: true },
      auth: { mode: 'none' },
      providers: { p: openai },
      models: { m: { provider: 'p', model: 'x' } },
    });
    expect(config.server.allowUnauthenticated).toBe(true);
    expect(config.auth.mode).toBe('none');
  });

  it('a public bind with authentication on (the default) needs no opt-in', () => {
    const config = validateConfig({
      server: { ...publicTls, publicUrl: 'https://ai.example.com' },
      providers: { p: openai },
      models: { m: { provider: 'p', model: 'x' } },
    });
    expect(config.server.allowUnauthenticated).toBe(false);
    expect(config.identity.enabled).toBe(true);
  });

  it('with a provider and a token issuer configured, a public bind needs no opt-in', () => {
    const config = validateConfig({
      server: publicTls,
      auth: {
        issuers: [
          {
            issuer: 'https://id.example.com/',
            jwksUri: 'https://id.example.com/.well-known/jwks.json',
            audiences: ['https://ai.example.com'],
          },
        ],
      },
      providers: { p: openai },
      models: { m: { provider: 'p', model: 'x' } },
    });
    expect(config.server.allowUnauthenticated).toBe(false);
    expect(config.auth.issuers[0]).toMatchObject({
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 30,
      claims: { roles: 'roles' },
    });
  });

  it('an issuer whose JWKS is plain http off loopback, or whose algorithms allow none or HS256, is refused', () => {
    const issuer = {
      issuer: 'https://id.example.com/',
      jwksUri: 'https://id.example.com/jwks',
      audiences: ['a'],
    };
    const refused = (entry: Record<string, unknown>) =>
      problemsOf(() => validateConfig({ auth: { issuers: [{ ...issuer, ...entry }] } })).message;
    expect(refused({ jwksUri: 'http://id.example.com/jwks' })).toContain('auth.issuers');
    expect(refused({ algorithms: ['none'] })).toMatch(/algorithms\[0\]: must be one of: ES256/);
    expect(refused({ algorithms: ['HS256'] })).toMatch(/algorithms\[0\]: must be one of: ES256/);
    expect(refused({ audiences: [] })).toContain('audiences');
    expect(refused({ clockSkewSeconds: 3600 })).toContain('clockSkewSeconds');
    expect(
      validateConfig({ auth: { issuers: [{ ...issuer, jwksUri: 'http://127.0.0.1:1/jwks' }] } })
        .auth.issuers,
    ).toHaveLength(1);
  });

  it('auth.mode none on a loopback bind needs no opt-in, with a provider or in demo mode', () => {
    const loopback = validateConfig({
      auth: { mode: 'none' },
      providers: { p: openai },
      models: { m: { provider: 'p', model: 'x' } },
    });
    expect(loopback.server.allowUnauthenticated).toBe(false);
    expect(validateConfig({ auth: { mode: 'none' } }).demo).toBe(true);
  });

  const withProvider = (baseUrl: string) => ({
    providers: { x: { ...openai, baseUrl } },
    models: { m: { provider: 'x', model: 'y' } },
  });

  it.each([
    'http://127.attacker.example/v1',
    'http://127.0.0.1.nip.io/v1',
    'http://localhost./v1',
    'http://sub.localhost/v1',
    'http://0.0.0.0:11434/v1',
    'http://[::]:11434/v1',
    'http://10.0.0.5/v1',
    'http://[::ffff:8.8.8.8]/v1',
  ])('a plain-http provider URL that is not loopback is refused as insecure: %s', (baseUrl) => {
    const { code, message } = problemsOf(() => validateConfig(withProvider(baseUrl)));
    expect(code).toBe('config.insecure');
    expect(message).toContain('providers.x.baseUrl');
    expect(message).toContain('allowInsecureHttp');
  });

  it.each([
    'http://127.0.0.1:11434/v1',
    'http://localhost:11434/v1',
    'http://LOCALHOST/v1',
    'http://[::1]:8000/v1',
    'http://0x7f.1/v1',
    'http://2130706433/v1',
    'http://[::ffff:127.0.0.1]/v1',
  ])('a plain-http provider URL on loopback is accepted: %s', (baseUrl) => {
    expect(validateConfig(withProvider(baseUrl)).providers['x']?.baseUrl).toBe(baseUrl);
  });

  it('a bind address that only looks like loopback is refused, and says why', () => {
    const { code, message } = problemsOf(() =>
      validateConfig({ server: { host: '127.attacker.example' } }),
    );
    expect(code).toBe('config.insecure');
    expect(message).toContain('server.host');
    expect(message).toContain('other than localhost');
  });

  it.each(['0.0.0.0', '::', '[::]', '0', '192.168.1.10', 'localhost.', 'sub.localhost'])(
    'binding %s without TLS is refused as a non-loopback bind',
    (host) => {
      const { code, message } = problemsOf(() => validateConfig({ server: { host } }));
      expect(code).toBe('config.insecure');
      expect(message).toContain('server.host');
    },
  );

  it.each([
    ['[::1]', '::1', 'http://[::1]:8787'],
    ['0x7f.1', '127.0.0.1', 'http://127.0.0.1:8787'],
    ['127.1', '127.0.0.1', 'http://127.0.0.1:8787'],
    ['LOCALHOST', 'localhost', 'http://localhost:8787'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1', 'http://[::ffff:7f00:1]:8787'],
  ])(
    'a loopback bind in another notation is normalised to the address the socket binds: %s',
    (host, bound, publicUrl) => {
      const config = validateConfig({ server: { host } });
      expect(config.server.host).toBe(bound);
      expect(config.server.publicUrl).toBe(publicUrl);
    },
  );

  it.each(['127.0.0.1:8787', '[::1]:8787', 'http://127.0.0.1', '127.0.0.1/x', 'a b', ''])(
    'a bind address that is not a host on its own is invalid: %j',
    (host) => {
      const { code, message } = problemsOf(() => validateConfig({ server: { host } }));
      expect(code).toBe('config.invalid');
      expect(message).toContain('server.host');
    },
  );

  it('YAML aliases are refused so that a small file cannot expand into a huge one', () => {
    const file = yamlFile('a: &a [1, 2]\nserver:\n  trustedProxies: *a\n');
    expect(problemsOf(() => loadConfig({ file, env: {} })).code).toBe('config.invalid');
  });

  it('a missing config file is a clear error', () => {
    const { message } = problemsOf(() => loadConfig({ file: join(dir, 'absent.yaml'), env: {} }));
    expect(message).toContain('ENOENT');
  });

  it('a provider key comes from the named variable, and its absence names the variable only', () => {
    const config = validateConfig({
      providers: { openai },
      models: { m: { provider: 'openai', model: 'x' } },
    });
    const provider = config.providers['openai'];
    if (!provider) throw new Error('provider missing');
    expect(
      resolveProviderSettings('openai', provider, { OPENAI_API_KEY: 'sk-test-value' }).apiKey,
    ).toBe('sk-test-value');
    const { code, message } = problemsOf(() => resolveProviderSettings('openai', provider, {}));
    expect(code).toBe('config.secret_missing');
    expect(message).toContain('OPENAI_API_KEY');
  });

  it('a provider key can come from a file, trimmed', () => {
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'sk-from-file\n');
    const config = validateConfig({
      providers: {
        a: { type: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', apiKeyFile: keyFile },
      },
      models: { claude: { provider: 'a', model: 'claude-x' } },
    });
    const settings = resolveProviderSettings('a', config.providers['a'] as never, {});
    expect(settings.apiKey).toBe('sk-from-file');
    expect(settings.authHeader).toBe('x-api-key');
    expect(settings.headers['anthropic-version']).toBe('2023-06-01');
  });
});

describe('provider capabilities', () => {
  it('an openai-compatible provider adds stream usage unless its capabilities say otherwise', () => {
    const models = (provider: string) => ({ chat: { provider, model: 'm' } });
    const on = validateConfig({ providers: { openai }, models: models('openai') }).providers[
      'openai'
    ];
    expect(on?.capabilities).toEqual({ streamUsage: true });
    const off = validateConfig({
      providers: { mistral: { ...openai, capabilities: { streamUsage: false } } },
      models: models('mistral'),
    }).providers['mistral'];
    expect(resolveProviderSettings('mistral', off as never, { OPENAI_API_KEY: 'k' })).toMatchObject(
      { capabilities: { streamUsage: false } },
    );
  });

  it('turning stream usage off for an anthropic provider is refused, since nothing is added there', () => {
    const { code, message } = problemsOf(() =>
      validateConfig({
        providers: {
          a: {
            type: 'anthropic',
            baseUrl: 'https://api.anthropic.com/v1',
            apiKeyEnv: 'ANTHROPIC_API_KEY',
            capabilities: { streamUsage: false },
          },
        },
      }),
    );
    expect(code).toBe('config.invalid');
    expect(message).toContain('providers.a.capabilities.streamUsage');
    expect(message).toContain('Fix: remove it');
  });
});

describe('configuration parsing of hostile files', () => {
  it('any YAML text yields a config or a config.* error, never a crash', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.constantFrom(
            'a: &x [1]\nb: *x\n',
            'server: !!js/function "f"\n',
            '? [a]\n: b\n',
            'server:\n  port: 1e400\n',
            '%YAML 9.9\n---\n',
          ),
        ),
        (text) => {
          const file = yamlFile(text);
          try {
            loadConfig({ file, env: {} });
          } catch (error) {
            expect(isRampartError(error) && error.code.startsWith('config.')).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
