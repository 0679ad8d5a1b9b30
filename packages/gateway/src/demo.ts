import { startMockUpstream, type MockUpstream } from '@rampart/testkit';
import type { ModelConfig, ProviderConfig } from './config/index.js';
import { providerSchema } from './config/provider-schema.js';

/**
 * Demo mode: with no provider configured, the gateway starts the testkit's mock upstream on a
 * loopback port and serves it as provider `demo`, through the same adapter and pipeline as a
 * real provider. The start-up banner says so plainly.
 */
export interface DemoSetup {
  readonly mock: MockUpstream;
  readonly providers: Record<string, ProviderConfig>;
  readonly models: Record<string, ModelConfig>;
}

export const DEMO_MODELS = { chat: 'demo-chat', embeddings: 'demo-embeddings' } as const;

export async function startDemo(): Promise<DemoSetup> {
  const mock = await startMockUpstream({ host: '127.0.0.1', port: 0, mode: 'demo' });
  // Every other option keeps the default a configured provider would get.
  const provider: ProviderConfig = providerSchema.parse({
    type: 'openai-compatible',
    baseUrl: `${mock.url}/v1`,
    maxRetries: 0,
  });
  return {
    mock,
    providers: { demo: provider },
    models: {
      [DEMO_MODELS.chat]: { provider: 'demo', model: 'mock-chat', kind: 'chat' },
      [DEMO_MODELS.embeddings]: { provider: 'demo', model: 'mock-embeddings', kind: 'embeddings' },
    },
  };
}
