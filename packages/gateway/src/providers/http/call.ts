import type { Dispatcher } from 'undici';
import { gatewayError } from '../../errors.js';
import type { JsonObject } from '../types.js';
import { discard, readErrorText, readJsonObject } from './body.js';
import { openEventStream, type EventStream } from './events.js';
import { describeContentType, parseRetryAfter, transportFault } from './faults.js';
import { connectBackoffMs, retryAfterDelayMs, sleep } from './retry.js';
import type { Upstream } from './upstream.js';
import { upstreamStatusError } from './upstream-errors.js';

export type Expect = 'json' | 'event-stream';

export interface UpstreamCall {
  /** Endpoint below the base URL, e.g. `/chat/completions`. */
  readonly endpoint: string;
  readonly body: JsonObject;
  readonly expect: Expect;
  readonly signal: AbortSignal;
}

const ACCEPT: Readonly<Record<Expect, string>> = {
  json: 'application/json',
  'event-stream': 'text/event-stream',
};
const CONTENT_TYPE: Readonly<Record<Expect, RegExp>> = {
  json: /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i,
  'event-stream': /^\s*text\/event-stream\s*(?:;|$)/i,
};

/**
 * POSTs a JSON body and returns the response once its status is 2xx and its content type is the
 * promised one; every other outcome is thrown as a catalogue error. Retries happen only where
 * the upstream provably did not process the request (see retry.ts), at most `maxRetries` times,
 * and stop the moment the caller's signal fires. The response body is the caller's to consume.
 */
export async function callUpstream(
  upstream: Upstream,
  call: UpstreamCall,
): Promise<Dispatcher.ResponseData> {
  const { settings, tuning } = upstream;
  const { signal } = call;
  const payload = JSON.stringify(call.body);
  const path = upstream.path(call.endpoint);
  const headers = upstream.headers(ACCEPT[call.expect]);
  for (let attempt = 0; ; attempt += 1) {
    if (signal.aborted) throw signal.reason;
    const canRetry = attempt < settings.maxRetries;
    let response: Dispatcher.ResponseData;
    try {
      response = await upstream.pool.request({
        method: 'POST',
        path,
        headers,
        body: payload,
        signal,
      });
    } catch (err) {
      const fault = transportFault(err, 'request', signal);
      if (fault.retryable && canRetry) {
        await sleep(connectBackoffMs(attempt, tuning), signal);
        continue;
      }
      throw fault.error;
    }

    // From here the body is ours. A body error nobody listens to is an uncaught exception
    // (fatal for the process), and an upstream can fail at any moment — also before the caller
    // starts reading. Readers still see the error: the stream keeps it and rethrows it.
    response.body.on('error', ignore);
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      const type = response.headers['content-type'];
      const value = Array.isArray(type) ? type[0] : type;
      if (value === undefined || !CONTENT_TYPE[call.expect].test(value)) {
        discard(response.body);
        throw gatewayError(
          'upstream.malformed_response',
          `the upstream answered with ${describeContentType(type)} where ${ACCEPT[call.expect]} was expected`,
        );
      }
      return response;
    }

    const retryAfter = parseRetryAfter(response.headers['retry-after']);
    const text = await readErrorText(response.body);
    if (signal.aborted) throw signal.reason;
    const error = statusError(status, text, retryAfter);
    // A 429 that means "out of quota" (upstream.quota_exceeded) will say the same again.
    const retryable =
      ((status === 429 && error.code === 'upstream.rate_limited') || status === 503) &&
      retryAfter !== undefined &&
      retryAfter * 1000 <= tuning.maxRetryAfterMs;
    if (retryable && canRetry) {
      await sleep(retryAfterDelayMs(retryAfter, tuning), signal);
      continue;
    }
    throw error;
  }
}

const ignore = (): void => undefined;

function statusError(status: number, text: string, retryAfter: number | undefined) {
  if (status >= 400) return upstreamStatusError(status, text, retryAfter);
  // 1xx are handled by undici and redirects are never followed: a redirect would carry the key
  // to wherever the upstream points.
  return gatewayError('upstream.malformed_response', `unexpected upstream status ${status}`);
}

/** A JSON POST answered by a JSON object no larger than `maxResponseBytes`. */
export async function postJson(
  upstream: Upstream,
  endpoint: string,
  body: JsonObject,
  signal: AbortSignal,
): Promise<JsonObject> {
  const response = await callUpstream(upstream, { endpoint, body, expect: 'json', signal });
  return readJsonObject(
    response.body,
    response.headers['content-length'],
    upstream.settings.maxResponseBytes,
    signal,
  );
}

/** A JSON POST answered by an event stream; resolves once the stream's headers are in. */
export async function postForEvents(
  upstream: Upstream,
  endpoint: string,
  body: JsonObject,
  signal: AbortSignal,
): Promise<EventStream> {
  const response = await callUpstream(upstream, { endpoint, body, expect: 'event-stream', signal });
  return openEventStream(response.body, {
    maxResponseBytes: upstream.settings.maxResponseBytes,
    signal,
  });
}
