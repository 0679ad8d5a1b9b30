import { describe, expect, it } from 'vitest';
import { validateConfig } from './index.js';

const models = {
  providers: {
    openai: { type: 'openai-compatible', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'K' },
  },
  models: {
    assistant: { provider: 'openai', model: 'gpt-4o-mini' },
    vectors: { provider: 'openai', model: 'text-embedding-3-small', kind: 'embeddings' },
  },
};

function problems(authz: unknown): Array<{ key: string; message: string }> {
  try {
    validateConfig({ ...models, authz });
    return [];
  } catch (error) {
    const extensions = (error as { extensions: Record<string, unknown> }).extensions;
    return [...((extensions['problems'] as []) ?? []), ...((extensions['insecure'] as []) ?? [])];
  }
}

describe('authz configuration', () => {
  it('accepts roles naming configured aliases and *', () => {
    expect(
      problems({
        roles: {
          user: [{ endpoints: ['chat', 'models'], aliases: ['assistant'], features: ['stream'] }],
          batch: [
            { endpoints: ['embeddings'], aliases: ['vectors'] },
            { endpoints: ['chat'], aliases: ['*'] },
          ],
        },
      }),
    ).toEqual([]);
  });

  it('refuses an alias that is not configured, with a did-you-mean and the fix', () => {
    const found = problems({ roles: { user: [{ endpoints: ['chat'], aliases: ['asistant'] }] } });
    expect(found).toHaveLength(1);
    expect(found[0]?.key).toBe('authz.roles.user[0].aliases');
    expect(found[0]?.message).toContain('did you mean "assistant"?');
    expect(found[0]?.message).toContain('Fix:');
  });

  it('reports it as an invalid configuration, not an insecure one', () => {
    expect(() =>
      validateConfig({
        ...models,
        authz: { roles: { user: [{ endpoints: ['chat'], aliases: ['x'] }] } },
      }),
    ).toThrow(expect.objectContaining({ code: 'config.invalid' }));
  });

  it('refuses an alias granted only on an endpoint of the other kind', () => {
    const found = problems({ roles: { user: [{ endpoints: ['chat'], aliases: ['vectors'] }] } });
    expect(found[0]?.message).toContain('embeddings model');
  });

  it('refuses unknown endpoints, features and keys with did-you-mean', () => {
    const found = problems({
      roles: { user: [{ endpoints: ['chats'], features: ['streaming'], alias: ['x'] }] },
    });
    const text = JSON.stringify(found);
    expect(text).toContain('authz.roles.user[0].endpoints');
    expect(text).toContain('authz.roles.user[0].features');
    expect(text).toContain('did you mean \\"aliases\\"?');
  });

  it('refuses an acr value that would break the step-up challenge', () => {
    const found = problems({ mfa: { acrValues: ['a" b'] } });
    expect(found[0]?.key).toBe('authz.mfa.acrValues[0]');
  });
});
