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
  caps: unknown,
  extra: Record<string, unknown> = {},
): Array<{ key: string; message: string }> {
  try {
    validateConfig({ ...models, ...extra, meter: { caps } });
    return [];
  } catch (error) {
    const extensions = (error as { extensions: Record<string, unknown> }).extensions;
    return [...((extensions['problems'] as []) ?? []), ...((extensions['insecure'] as []) ?? [])];
  }
}

const keys = (found: Array<{ key: string }>) => found.map((problem) => problem.key);

describe('meter.caps configuration', () => {
  it('accepts caps by alias and role, defaulting to refuse over maxTokens and max_completion_tokens', () => {
    const config = validateConfig({
      ...models,
      meter: {
        caps: [
          { name: 'assistant', aliases: ['assistant'], maxTokens: 4096, n: 1, logprobs: 'strip' },
          { name: 'free', roles: ['free'], maxPromptChars: 20_000, maxTools: 0 },
        ],
      },
    });
    expect(config.meter.caps[0]).toMatchObject({
      overMaxTokens: 'refuse',
      capParameter: 'max_completion_tokens',
      attestation: 'any',
    });
  });

  it('refuses a cap that caps nothing, naming the settings that would', () => {
    const found = problems([{ name: 'empty', aliases: ['assistant'] }]);
    expect(keys(found)).toEqual(['meter.caps[0]']);
    expect(found[0]?.message).toContain('Fix: set at least one of maxTokens');
  });

  it('refuses two caps of one name', () => {
    expect(
      keys(
        problems([
          { name: 'a', n: 1 },
          { name: 'a', n: 2 },
        ]),
      ),
    ).toEqual(['meter.caps[1].name']);
  });

  it('refuses clamp without maxTokens, and a top_logprobs bound that can never apply', () => {
    expect(keys(problems([{ name: 'a', n: 1, overMaxTokens: 'clamp' }]))).toEqual([
      'meter.caps[0].overMaxTokens',
    ]);
    expect(keys(problems([{ name: 'a', logprobs: 'strip', topLogprobs: 5 }]))).toEqual([
      'meter.caps[0].topLogprobs',
    ]);
  });

  it('refuses an alias that is not configured (with a did-you-mean) or serves embeddings', () => {
    const unknown = problems([{ name: 'a', n: 1, aliases: ['asistant'] }]);
    expect(keys(unknown)).toEqual(['meter.caps[0].aliases']);
    expect(unknown[0]?.message).toContain('did you mean "assistant"?');
    const embeddings = problems([{ name: 'a', n: 1, aliases: ['vectors'] }]);
    expect(embeddings[0]?.message).toContain('serves embeddings (caps apply to chat only)');
  });

  it('refuses a role filter on an anonymous /v1, where it would never apply', () => {
    const found = problems([{ name: 'a', n: 1, roles: ['free'] }], { auth: { mode: 'none' } });
    expect(keys(found)).toContain('meter.caps[0].roles');
  });

  it('refuses unknown options and out-of-range numbers', () => {
    for (const cap of [
      { name: 'a', n: 1, burst: 3 },
      { name: 'a', n: 0 },
      { name: 'a', n: 129 },
      { name: 'a', maxTokens: 0 },
      { name: 'a', maxTokens: 1.5 },
      { name: 'a', maxTools: -1 },
      { name: 'a', topLogprobs: 21 },
      { name: 'a', maxPromptChars: 0 },
      { name: 'a', logprobs: 'maybe' },
      { name: 'a b', n: 1 },
    ]) {
      expect(problems([cap])).not.toEqual([]);
    }
  });
});
