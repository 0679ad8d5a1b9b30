import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isRampartError, type RampartError } from '@rampart/core';
import type { FastifyReply } from 'fastify';
import { asRampartError, toProblem } from '../http/problem.js';
import type { ChatStream, JsonObject } from '../providers/types.js';
import { gatewayCode } from './codes.js';
import type { Exchange } from './exchange.js';
import type { StreamTransform } from './stage.js';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/**
 * Writes a chat stream as OpenAI SSE events, each upstream read passed through the stages'
 * transforms in list order and written at once (one write per read, honouring backpressure),
 * never buffering the stream. Writing straight to the socket is cheaper than piping a Readable,
 * which matters per event. A failure after the first byte can no longer change the HTTP
 * status, so it becomes a terminal `event: error` carrying the problem document, and no
 * `[DONE]`; the exchange's `outcome` records it.
 *
 * Returns the error that cut the stream, if one did.
 */
export async function writeSse(
  reply: FastifyReply,
  exchange: Exchange,
  stream: ChatStream,
  transforms: readonly StreamTransform[],
): Promise<RampartError | undefined> {
  const headers = { ...reply.getHeaders(), ...SSE_HEADERS };
  reply.hijack();
  const res = reply.raw;
  // Fastify's header type admits numbers where Node's does not; the values came from Node's own.
  res.writeHead(200, headers as OutgoingHttpHeaders);
  exchange.streamed = true;
  let failure: RampartError | undefined;
  try {
    for await (const batch of stream.chunks) {
      if (res.destroyed) break;
      const text = events(applyTransforms(transforms, batch));
      if (text !== '' && !res.write(text)) await drained(res);
    }
    if (!res.destroyed) res.write(`${events(flush(transforms))}data: [DONE]\n\n`);
  } catch (error) {
    // An abort's reason says why (the client left, the gateway is shutting down) better than
    // whatever the upstream read threw when it was cut.
    const reason: unknown = exchange.signal.aborted ? exchange.signal.reason : error;
    failure = isRampartError(reason) ? reason : asRampartError(error);
    exchange.outcome = gatewayCode(failure);
    if (!res.destroyed) {
      res.write(
        `event: error\ndata: ${JSON.stringify(toProblem(failure, exchange.requestId))}\n\n`,
      );
    }
  }
  if (!res.destroyed) res.end();
  return failure;
}

function applyTransforms(
  transforms: readonly StreamTransform[],
  batch: readonly JsonObject[],
): readonly JsonObject[] {
  let chunks = batch;
  for (const transform of transforms) {
    if (chunks.length === 0) break;
    chunks = transform.batch(chunks);
  }
  return chunks;
}

/** What each transform still holds, passed through the transforms after it. */
function flush(transforms: readonly StreamTransform[]): readonly JsonObject[] {
  let pending: readonly JsonObject[] = [];
  for (const transform of transforms) {
    if (pending.length > 0) pending = transform.batch(pending);
    const held = transform.end?.();
    if (held !== undefined && held.length > 0) pending = [...pending, ...held];
  }
  return pending;
}

function events(chunks: readonly JsonObject[]): string {
  let text = '';
  for (const chunk of chunks) text += `data: ${JSON.stringify(chunk)}\n\n`;
  return text;
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
