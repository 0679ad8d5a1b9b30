import { gatewayError } from '../../errors.js';
import { chunkBatches, type EventStep } from '../http/batches.js';
import { parseEventData, type EventStream } from '../http/events.js';
import { errorTokens, isObject } from '../http/faults.js';
import type { ChatStream, JsonObject, Usage } from '../types.js';
import { openAIUsage } from './usage.js';

/**
 * The request body for a streaming call. Where the provider accepts it (`streamUsage`), usage is
 * always requested so that every stream is metered; `clientWantsUsage` remembers whether the
 * client asked, so that the extra chunk is not shown to a client that did not. Without it the
 * client's own `stream_options` goes upstream as sent, and nothing is added.
 */
export function streamingRequest(
  body: JsonObject,
  streamUsage: boolean,
): {
  body: JsonObject;
  clientWantsUsage: boolean;
} {
  const options = isObject(body.stream_options) ? body.stream_options : {};
  const clientWantsUsage = options.include_usage === true;
  if (!streamUsage) return { body: { ...body, stream: true }, clientWantsUsage };
  return {
    body: { ...body, stream: true, stream_options: { ...options, include_usage: true } },
    clientWantsUsage,
  };
}

/** An OpenAI event stream as the gateway's ChatStream: one parsed chunk per `data:` event. */
export function openAIChatStream(stream: EventStream, clientWantsUsage: boolean): ChatStream {
  let usage: Usage | undefined;

  const step: EventStep = (event, push) => {
    if (event.data === '[DONE]') return true;
    const chunk = parseEventData(event.data);
    if (event.event === 'error' || chunk.error !== undefined) throw errorEvent(chunk);
    usage = openAIUsage(chunk.usage) ?? usage;
    if (!clientWantsUsage) {
      // The usage-only chunk exists because we asked for it, not the client.
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0 && isObject(chunk.usage)) {
        return false;
      }
      delete chunk.usage;
    }
    push(chunk);
    return false;
  };

  return { chunks: chunkBatches(stream, step, '[DONE]'), usage: () => usage };
}

function errorEvent(chunk: JsonObject) {
  return gatewayError(
    'upstream.stream_interrupted',
    `the upstream sent an error event mid-stream${errorTokens(chunk)}`,
  );
}
