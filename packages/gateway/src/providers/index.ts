import { createAnthropicProvider } from './anthropic/index.js';
import { createOpenAICompatibleProvider } from './openai-compatible/index.js';
import type { Provider, ProviderFactory, ProviderSettings, ProviderType } from './types.js';

/**
 * The provider registry: one line per provider type, sorted. Code below it receives a Provider
 * built from validated settings, never a raw type string.
 */
export const PROVIDER_FACTORIES = {
  anthropic: createAnthropicProvider,
  'openai-compatible': createOpenAICompatibleProvider,
} as const satisfies Record<ProviderType, ProviderFactory>;

export function createProvider(settings: ProviderSettings): Provider {
  return PROVIDER_FACTORIES[settings.type](settings);
}

export type * from './types.js';
export { PROVIDER_TYPES } from './types.js';
