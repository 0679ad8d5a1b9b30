import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';

const models = {
  providers: {
    openai: { type: 'openai-compatible', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'K' },
  },
  models: {
    assistant: { provider: 'openai', model: 'gpt-4o-mini' },
    vectors: { provider: 'openai', model: 'text-embedding-3-small', kind: 'embeddings' },
  },
};

function problems(
  limits: unknown,
  extra: Record<string, unknown> = {},
): Array<{ key: string; message: string }> {
  try {
    validateConfig({ ...models, ...extra, meter: { limits } });
    return [];
  } catch (error) {
    const extensions = (error as { extensions: Record<string, unknown> }).extensions;
    return [...((extensions['problems'] as []) ?? []), ...((extensions['insecure'] as []) ?? [])];
  }
}

const window = { name: 'per-user', key: ['subject'], requests: 60, windowSeconds: 60 };

describe('meter configuration', () => {
  it('is empty by default: nothing is limited', () => {
    expect(validateConfig({}).meter).toEqual({
      limits: [],
      caps: [],
      defaultOutputTokens: 4096,
      streamLeaseSeconds: 60,
    });
  });

  it('accepts request windows and stream limits with filters, defaulting attestation and failOpen', () => {
    expect(
      problems([
        window,
        { name: 'streams', key: ['device'], concurrentStreams: 2, roles: ['free'] },
        {
          name: 'assistant-ip',
          key: ['ip', 'alias'],
          requests: 10,
          windowSeconds: 1,
          aliases: ['assistant'],
          attestation: 'unattested',
          failOpen: true,
        },
      ]),
    ).toEqual([]);
    const [first] = validateConfig({ ...models, meter: { limits: [window] } }).meter.limits;
    expect(first).toMatchObject({ attestation: 'any', failOpen: false });
  });

  it('refuses a limit with both kinds, with neither, or with half a window', () => {
    const both = problems([{ ...window, concurrentStreams: 3 }]);
    expect(both[0]?.key).toBe('meter.limits[0]');
    expect(both[0]?.message).toContain('Fix: split it into one limit per kind');
    const neither = problems([{ name: 'x', key: ['ip'] }]);
    expect(neither[0]?.message).toContain('limits nothing');
    const half = problems([{ name: 'x', key: ['ip'], requests: 5 }]);
    expect(half[0]?.key).toBe('meter.limits[0].windowSeconds');
  });

  it('accepts a token window and refuses one without windowSeconds or mixed with another kind', () => {
    const tokens = { name: 't', key: ['subject'], tokens: 10_000, windowSeconds: 60 };
    expect(problems([tokens])).toEqual([]);
    const half = problems([{ name: 't', key: ['subject'], tokens: 10_000 }]);
    expect(half[0]?.key).toBe('meter.limits[0].windowSeconds');
    expect(half[0]?.message).toContain('token window without windowSeconds');
    const mixed = problems([{ ...tokens, requests: 5 }]);
    expect(mixed[0]?.message).toContain('sets requests and tokens');
    const streamsWindow = problems([
      { name: 's', key: ['subject'], concurrentStreams: 2, windowSeconds: 60 },
    ]);
    expect(streamsWindow[0]?.key).toBe('meter.limits[0].windowSeconds');
    expect(problems([{ ...tokens, tokens: 0 }])).not.toEqual([]);
  });

  it('refuses two limits of one name: they would share counters and metrics', () => {
    const found = problems([window, { ...window, requests: 5 }]);
    expect(found).toHaveLength(1);
    expect(found[0]?.key).toBe('meter.limits[1].name');
  });

  it('refuses an empty key, an unknown key part and a part named twice', () => {
    expect(problems([{ ...window, key: [] }])[0]?.key).toContain('meter.limits[0].key');
    expect(problems([{ ...window, key: ['user'] }])[0]?.key).toContain('meter.limits[0].key');
    const twice = problems([{ ...window, key: ['ip', 'ip'] }]);
    expect(twice[0]?.message).toContain('names ip more than once');
  });

  it('refuses caller keys and role filters on an anonymous /v1, where every request would share one counter', () => {
    const found = problems(
      [
        { ...window, key: ['subject', 'ip'] },
        { name: 'device', key: ['device'], concurrentStreams: 1 },
        { name: 'role', key: ['ip'], requests: 1, windowSeconds: 1, roles: ['free'] },
      ],
      { auth: { mode: 'none' } },
    );
    expect(found.map((problem) => problem.key)).toEqual([
      'meter.limits[0].key',
      'meter.limits[1].key',
      'meter.limits[2].roles',
    ]);
    expect(found[0]?.message).toContain('auth.mode is none');
    expect(found[0]?.message).toContain('Fix:');
    // An IP or alias limit is what an anonymous gateway can have.
    expect(problems([{ ...window, key: ['ip', 'alias'] }], { auth: { mode: 'none' } })).toEqual([]);
  });

  it('refuses an alias filter naming no configured model, with a did-you-mean', () => {
    const found = problems([{ ...window, aliases: ['asistant'] }]);
    expect(found[0]?.key).toBe('meter.limits[0].aliases');
    expect(found[0]?.message).toContain('did you mean "assistant"?');
  });

  it('refuses names that could not travel in a header, a metric label or a Redis key', () => {
    for (const name of ['', 'a"b', 'a\\b', 'a b', 'x'.repeat(65), 'ünïcode']) {
      expect(problems([{ ...window, name }])[0]?.key).toContain('meter.limits[0].name');
    }
  });

  it('refuses unknown options and out-of-range numbers', () => {
    expect(problems([{ ...window, burst: 3 }])).not.toEqual([]);
    expect(problems([{ ...window, requests: 0 }])).not.toEqual([]);
    expect(problems([{ ...window, windowSeconds: 0.5 }])).not.toEqual([]);
    expect(problems([{ name: 's', key: ['ip'], concurrentStreams: -1 }])).not.toEqual([]);
  });
});
