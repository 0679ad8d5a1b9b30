import type { Dispatcher } from 'undici';
import { gatewayError } from '../../errors.js';
import type { JsonObject } from '../types.js';
import { isObject, transportFault } from './faults.js';

export type ResponseBody = Dispatcher.ResponseData['body'];

/** Enough of an error body to find the provider's error type; the rest is never read. */
export const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * Reads a JSON object of at most `maxBytes`. The declared length is checked before reading and
 * the running total while reading, so a lying or endless upstream costs at most `maxBytes`.
 */
export async function readJsonObject(
  body: ResponseBody,
  contentLength: string | string[] | undefined,
  maxBytes: number,
  signal: AbortSignal,
): Promise<JsonObject> {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(body);
    throw tooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
  } catch (err) {
    discard(body);
    throw transportFault(err, 'body', signal).error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks, total).toString('utf8'));
  } catch {
    throw gatewayError('upstream.malformed_response', 'the upstream response is not valid JSON');
  }
  if (!isObject(parsed)) {
    throw gatewayError('upstream.malformed_response', 'the upstream response is not a JSON object');
  }
  return parsed;
}

/**
 * The first bytes of an error response, for summarising. Never throws: an error body that
 * cannot be read only makes the summary shorter. A fully read body frees the connection for
 * reuse; a longer one is cut and its connection closed.
 */
export async function readErrorText(body: ResponseBody): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.byteLength;
      if (total >= ERROR_BODY_LIMIT) {
        discard(body);
        break;
      }
    }
  } catch {
    discard(body);
  }
  return Buffer.concat(chunks, total).subarray(0, ERROR_BODY_LIMIT).toString('utf8');
}

/**
 * Closes a response body we will not read (and with it the connection). undici emits an
 * `error` (AbortError) on a body destroyed before its end; unheard, that would be an uncaught
 * exception taking the whole gateway down, so a listener is attached first.
 */
export function discard(body: ResponseBody): void {
  body.on('error', ignore);
  body.destroy();
}

const ignore = (): void => undefined;

export function tooLarge(maxBytes: number) {
  return gatewayError(
    'upstream.response_too_large',
    `the upstream response exceeds maxResponseBytes (${maxBytes})`,
  );
}
