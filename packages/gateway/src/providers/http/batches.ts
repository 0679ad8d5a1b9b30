import { gatewayError } from '../../errors.js';
import type { JsonObject } from '../types.js';
import type { EventStream } from './events.js';
import type { SseEvent } from './sse.js';

/**
 * What an adapter does with one upstream event: push the OpenAI chunks it becomes (none, one or
 * several), and return true when it was the provider's end-of-stream marker. Throwing ends the
 * stream with that error.
 */
export type EventStep = (event: SseEvent, push: (chunk: JsonObject) => void) => boolean;

/**
 * The adapters' shared stream loop: one batch of chunks per upstream read (see ChatStream).
 * Chunks that arrived before a bad event in the same read are still delivered, then the error
 * is thrown. A stream that ends without its marker is `upstream.stream_interrupted`. The
 * connection is kept for reuse only after a complete stream.
 */
export async function* chunkBatches(
  stream: EventStream,
  step: EventStep,
  endMarker: string,
): AsyncGenerator<readonly JsonObject[], void, undefined> {
  let complete = false;
  try {
    for await (const events of stream.events) {
      const batch: JsonObject[] = [];
      const push = (chunk: JsonObject) => void batch.push(chunk);
      let failure: Error | undefined;
      for (const event of events) {
        try {
          complete = step(event, push);
        } catch (error) {
          failure = error as Error;
          break;
        }
        if (complete) break;
      }
      if (batch.length > 0) yield batch;
      if (failure !== undefined) throw failure;
      if (complete) break;
    }
    if (!complete) {
      throw gatewayError(
        'upstream.stream_interrupted',
        `the upstream stream ended before ${endMarker}`,
      );
    }
  } finally {
    if (complete) stream.finish();
    else stream.abandon();
  }
}
