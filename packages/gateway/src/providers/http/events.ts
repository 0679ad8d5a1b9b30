import { gatewayError } from '../../errors.js';
import type { JsonObject } from '../types.js';
import { discard, tooLarge, type ResponseBody } from './body.js';
import { isObject, transportFault } from './faults.js';
import { DEFAULT_MAX_EVENT_SIZE, SseParser, type SseEvent } from './sse.js';

/**
 * An upstream event stream being read. The adapter that iterates `events` knows when the
 * provider's end marker arrived and says so with `finish()`; any other way out (an error, the
 * consumer stopping early) must end with `abandon()`, which closes the connection so that the
 * upstream stops generating (and billing) for nobody.
 */
export interface EventStream {
  /**
   * Single use; one batch per upstream read (never empty). Throws catalogue errors, or the
   * signal's reason once the caller aborted.
   */
  readonly events: AsyncIterable<readonly SseEvent[]>;
  /** The end marker arrived: let the few trailing bytes drain so the connection is reused. */
  finish(): void;
  /** Close the connection now, unless the response already ended. Safe to call repeatedly. */
  abandon(): void;
}

export interface EventStreamOptions {
  /** Bound on the whole stream, so an endless upstream cannot keep a request alive forever. */
  readonly maxResponseBytes: number;
  readonly maxEventSize?: number;
  readonly signal: AbortSignal;
}

/** What a finished stream may still hold after its end marker (a final chunk, a trailer). */
const DRAIN_LIMIT = 64 * 1024;

export function openEventStream(body: ResponseBody, options: EventStreamOptions): EventStream {
  let settled = false;
  const settle = (drain: boolean): void => {
    if (settled) return;
    settled = true;
    if (body.readableEnded || body.destroyed) return;
    if (drain) drainInBackground(body);
    else discard(body);
  };
  return {
    events: readEvents(body, options),
    finish: () => settle(true),
    abandon: () => settle(false),
  };
}

/**
 * Reads what follows the end marker without anyone waiting for it, so the connection returns to
 * the pool. Bounded by DRAIN_LIMIT (then the connection is closed instead) and by the body
 * timeout, which undici still enforces. (undici's own dump() counts every byte the response ever
 * carried, so it would close the connection after any long stream.)
 */
function drainInBackground(body: ResponseBody): void {
  let left = DRAIN_LIMIT;
  body.on('error', () => undefined);
  body.on('data', (chunk: Buffer) => {
    left -= chunk.byteLength;
    if (left < 0) discard(body);
  });
}

async function* readEvents(
  body: ResponseBody,
  { maxResponseBytes, maxEventSize = DEFAULT_MAX_EVENT_SIZE, signal }: EventStreamOptions,
): AsyncGenerator<readonly SseEvent[], void, undefined> {
  const parser = new SseParser(maxEventSize);
  let total = 0;
  try {
    // Leaving the loop early must not destroy the body: finish() may still want to drain it.
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > maxResponseBytes) throw tooLarge(maxResponseBytes);
      const batch = [...parser.push(chunk)];
      if (batch.length > 0) yield batch;
    }
    const rest = [...parser.end()];
    if (rest.length > 0) yield rest;
  } catch (err) {
    discard(body);
    throw transportFault(err, 'stream', signal).error;
  }
}

/** The `data` of one event as a JSON object; anything else is a malformed response. */
export function parseEventData(data: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw gatewayError('upstream.malformed_response', 'an upstream stream event is not valid JSON');
  }
  if (!isObject(parsed)) {
    throw gatewayError('upstream.malformed_response', 'an upstream stream event is not an object');
  }
  return parsed;
}
