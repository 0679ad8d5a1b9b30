import { gatewayError } from '../../errors.js';
import { postForEvents, postJson } from '../http/call.js';
import type { RetryTuning } from '../http/retry.js';
import { Upstream } from '../http/upstream.js';
import type { JsonObject, Provider, ProviderSettings } from '../types.js';
import { addedStreamPaths, blameAddedField } from './added-fields.js';
import { openAIChatStream, streamingRequest } from './stream.js';
import { openAIUsage } from './usage.js';

/**
 * Upstreams that speak the OpenAI wire format themselves: OpenAI, Azure OpenAI (v1 API, `api-key`
 * header, `api-version` query), Groq, Mistral, vLLM, Ollama. Bodies pass through unchanged
 * except for the streaming flags (`stream_options` only where `capabilities.streamUsage` allows);
 * only the response shape is checked.
 */
export function createOpenAICompatibleProvider(
  settings: ProviderSettings,
  tuning?: RetryTuning,
): Provider {
  const upstream = new Upstream(settings, tuning);
  return {
    name: settings.name,
    type: 'openai-compatible',

    async chat(body, { signal }) {
      const response = await postJson(upstream, '/chat/completions', nonStreaming(body), signal);
      if (!Array.isArray(response.choices)) {
        throw gatewayError(
          'upstream.malformed_response',
          'the upstream chat completion has no choices array',
        );
      }
      return { body: response, usage: openAIUsage(response.usage) };
    },

    async chatStream(body, { signal }) {
      const request = streamingRequest(body, settings.capabilities.streamUsage);
      const added = addedStreamPaths(body, settings.capabilities.streamUsage);
      const stream = await postForEvents(upstream, '/chat/completions', request.body, signal).catch(
        (error: unknown) => {
          throw blameAddedField(error, added);
        },
      );
      return openAIChatStream(stream, request.clientWantsUsage);
    },

    async embeddings(body, { signal }) {
      const response = await postJson(upstream, '/embeddings', body, signal);
      if (!Array.isArray(response.data)) {
        throw gatewayError(
          'upstream.malformed_response',
          'the upstream embeddings response has no data array',
        );
      }
      return { body: response, usage: openAIUsage(response.usage) };
    },

    close: () => upstream.close(),
  };
}

/** OpenAI refuses `stream_options` without `stream: true`; a JSON call sends neither. */
function nonStreaming(body: JsonObject): JsonObject {
  const copy = { ...body };
  delete copy.stream;
  delete copy.stream_options;
  return copy;
}
