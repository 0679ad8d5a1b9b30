import { gatewayError } from '../../errors.js';
import { postForEvents, postJson } from '../http/call.js';
import type { RetryTuning } from '../http/retry.js';
import { Upstream } from '../http/upstream.js';
import type { Provider, ProviderSettings } from '../types.js';
import { toAnthropicRequest, wantsUsage } from './request.js';
import { fromAnthropicMessage } from './response.js';
import { AnthropicStreamTranslator, anthropicChatStream } from './stream.js';

/**
 * Anthropic's Messages API (`POST {baseUrl}/messages`) behind the OpenAI wire format. Requests
 * are translated before anything is sent, so a parameter Anthropic cannot honour is refused
 * without an upstream call.
 */
export function createAnthropicProvider(
  settings: ProviderSettings,
  tuning?: RetryTuning,
): Provider {
  const upstream = new Upstream(settings, tuning);
  const now = (): number => Math.floor(Date.now() / 1000);
  return {
    name: settings.name,
    type: 'anthropic',

    async chat(body, { signal }) {
      const request = toAnthropicRequest(body);
      const message = await postJson(upstream, '/messages', request, signal);
      return fromAnthropicMessage(message, now());
    },

    async chatStream(body, { signal }) {
      const request = { ...toAnthropicRequest(body), stream: true };
      const stream = await postForEvents(upstream, '/messages', request, signal);
      return anthropicChatStream(stream, new AnthropicStreamTranslator(now(), wantsUsage(body)));
    },

    embeddings() {
      return Promise.reject(
        gatewayError('model.wrong_kind', 'provider type anthropic has no embeddings API'),
      );
    },

    close: () => upstream.close(),
  };
}
