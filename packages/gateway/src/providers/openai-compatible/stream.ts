import { gatewayError } from '../../errors.js';
import { parseEventData, type EventStream } from '../http/events.js';
import { errorTokens, isObject } from '../http/faults.js';
import type { ChatStream, JsonObject, Usage } from '../types.js';
import { openAIUsage } from './usage.js';

/**
 * The request body for a streaming call. Usage is always requested so that every stream is
 * metered; `clientWantsUsage` remembers whether the client asked, so that the extra chunk is not
 * shown to a client that did not.
 */
export function streamingRequest(body: JsonObject): {
  body: JsonObject;
  clientWantsUsage: boolean;
} {
  const options = isObject(body.stream_options) ? body.stream_options : {};
  return {
    body: { ...body, stream: true, stream_options: { ...options, include_usage: true } },
    clientWantsUsage: options.include_usage === true,
  };
}

/** An OpenAI event stream as the gateway's ChatStream: one parsed chunk per `data:` event. */
export function openAIChatStream(stream: EventStream, clientWantsUsage: boolean): ChatStream {
  let usage: Usage | undefined;

  async function* chunks(): AsyncGenerator<readonly JsonObject[], void, undefined> {
    let complete = false;
    try {
      for await (const events of stream.events) {
        const batch: JsonObject[] = [];
        // Chunks that arrived before a bad event in the same read are still delivered.
        let failure: Error | undefined;
        for (const event of events) {
          if (event.data === '[DONE]') {
            complete = true;
            break;
          }
          let chunk: JsonObject;
          try {
            chunk = parseEventData(event.data);
            if (event.event === 'error' || chunk.error !== undefined) throw errorEvent(chunk);
          } catch (error) {
            failure = error as Error;
            break;
          }
          usage = openAIUsage(chunk.usage) ?? usage;
          if (!clientWantsUsage) {
            // The usage-only chunk exists because we asked for it, not the client.
            if (
              Array.isArray(chunk.choices) &&
              chunk.choices.length === 0 &&
              isObject(chunk.usage)
            ) {
              continue;
            }
            delete chunk.usage;
          }
          batch.push(chunk);
        }
        if (batch.length > 0) yield batch;
        if (failure !== undefined) throw failure;
        if (complete) break;
      }
      if (!complete) {
        throw gatewayError(
          'upstream.stream_interrupted',
          'the upstream stream ended before [DONE]',
        );
      }
    } finally {
      if (complete) stream.finish();
      else stream.abandon();
    }
  }

  return { chunks: chunks(), usage: () => usage };
}

function errorEvent(chunk: JsonObject) {
  return gatewayError(
    'upstream.stream_interrupted',
    `the upstream sent an error event mid-stream${errorTokens(chunk)}`,
  );
}
