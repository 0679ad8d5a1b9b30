import type { RampartError } from '@rampart/core';
import { gatewayError } from '../../errors.js';
import { asRampartError, toProblem } from '../../http/problem.js';
import type { ChatStream } from '../../providers/types.js';
import type { Exchange } from '../context.js';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/**
 * Re-emits the adapter's chunks as OpenAI SSE events, one write per upstream read, never
 * buffering the stream. A failure after the first byte can no longer change the HTTP status,
 * so it becomes a terminal `event: error` carrying the problem document, and no `[DONE]`.
 */
export async function* sseEvents(
  stream: ChatStream,
  alias: string,
  requestId: string,
  exchange: Exchange,
  shutdown: AbortSignal,
  onInterrupted: (error: RampartError) => void,
): AsyncGenerator<string> {
  try {
    for await (const batch of stream.chunks) {
      // One string, so one write, per upstream read: events that arrived together leave together.
      let text = '';
      for (const chunk of batch) {
        // Clients named the alias; the upstream model name is configuration, not theirs to see.
        chunk['model'] = alias;
        text += `data: ${JSON.stringify(chunk)}\n\n`;
      }
      yield text;
    }
    exchange.usage = stream.usage();
    yield 'data: [DONE]\n\n';
  } catch (error) {
    exchange.usage = stream.usage();
    const problem = shutdown.aborted
      ? gatewayError('server.shutting_down', 'The gateway is shutting down; the stream was ended.')
      : asRampartError(error);
    exchange.outcome = problem.code;
    onInterrupted(problem);
    yield `event: error\ndata: ${JSON.stringify(toProblem(problem, requestId))}\n\n`;
  }
}
