import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceKeyRepository } from '../../src/identity/service-keys/index.js';
import { startHarness, type Harness } from './harness.js';

/**
 * The official OpenAI SDK, as a team's own backend would use it, with a Rampart service key as
 * its `apiKey`: the SDK sends `Authorization: Bearer rk_…` and nothing else is needed.
 */
let h: Harness;
let keys: ServiceKeyRepository;
beforeAll(async () => {
  h = await startHarness({
    config: {
      auth: { serviceKeys: { enabled: true } },
      authz: {
        roles: {
          backend: [
            { endpoints: ['chat', 'models'], aliases: ['chat', 'claude'], features: ['stream'] },
          ],
        },
      },
    },
  });
  keys = new ServiceKeyRepository(h.gateway.store.db);
});
afterAll(async () => {
  await h.close();
});

async function client(options: { aliases?: string[]; expiresAt?: number } = {}) {
  const now = Date.now();
  const { key, serviceKey } = await keys.create({
    name: 'sdk test',
    tenant: 'acme',
    roles: ['backend'],
    aliases: options.aliases,
    createdAt: now,
    expiresAt: options.expiresAt ?? now + 3_600_000,
    createdBy: 'test',
  });
  return {
    id: serviceKey.id,
    key,
    sdk: new OpenAI({ baseURL: `${h.url}/v1`, apiKey: key, maxRetries: 0 }),
  };
}

describe('the official OpenAI SDK with a service key', () => {
  it('completes a chat, streams one, and lists only the aliases it may use', async () => {
    const { sdk } = await client();
    const completion = await sdk.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(completion.choices[0]?.message.content).toBeTruthy();
    const stream = await sdk.chat.completions.create({
      model: 'claude',
      stream: true,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const models = await sdk.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['chat', 'claude']);
  });

  it('is refused with 403 for an alias outside the key, and 401 once revoked', async () => {
    const { sdk, id, key } = await client({ aliases: ['chat'] });
    const forbidden = await sdk.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((forbidden as InstanceType<typeof OpenAI.APIError>).code).toBe('authz.alias_forbidden');
    await keys.revoke(id, Date.now());
    const revoked = await sdk.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((revoked as InstanceType<typeof OpenAI.APIError>).code).toBe('auth.service_key_revoked');
    expect(h.logs()).not.toContain(key.slice(20));
  });

  it('is refused with 401 without a key or with an expired one', async () => {
    const anonymous = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-anything', maxRetries: 0 });
    const error = await anonymous.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const { sdk } = await client({ expiresAt: Date.now() - 1 });
    const expired = await sdk.models.list().catch((e: unknown) => e);
    expect((expired as InstanceType<typeof OpenAI.APIError>).code).toBe('auth.service_key_expired');
  });
});
