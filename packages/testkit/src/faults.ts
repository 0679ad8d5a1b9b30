/**
 * Playing a fault instead of an answer. Error responses are prepared once per dialect and
 * Retry-After value; the stream faults cut the request's real stream plan short, so what
 * arrives before the break is exactly what a healthy upstream would have sent.
 */
import type { ServerResponse } from 'node:http';
import { errorBody, type Dialect, type ErrorStatus } from './dialect.js';
import {
  prepareJson,
  sendPrepared,
  startEventStream,
  type Prepared,
  type StreamPlan,
} from './respond.js';
import type { MockErrorResponse, MockFault } from './types.js';

type HttpFault = 'http-500' | 'http-503' | 'http-429' | 'http-400' | 'http-401';

const HTTP_FAULTS = {
  'http-400': { status: 400, message: 'Mock fault http-400: the request was rejected.' },
  'http-401': { status: 401, message: 'Mock fault http-401: invalid API key.' },
  'http-429': { status: 429, message: 'Mock fault http-429: rate limit reached.' },
  'http-500': { status: 500, message: 'Mock fault http-500: internal server error.' },
  'http-503': { status: 503, message: 'Mock fault http-503: the service is overloaded.' },
} as const satisfies Record<HttpFault, { status: ErrorStatus; message: string }>;

/** The prepared error responses for one Retry-After value and `errorResponse`, by dialect. */
export type FaultResponses = Readonly<
  Record<Dialect, Readonly<Record<HttpFault | 'http-error', Prepared>>>
>;

export function prepareFaultResponses(
  retryAfterSeconds: number,
  custom: Readonly<MockErrorResponse>,
): FaultResponses {
  const build = (dialect: Dialect): Record<HttpFault | 'http-error', Prepared> => {
    const out = {} as Record<HttpFault | 'http-error', Prepared>;
    for (const [fault, { status, message }] of Object.entries(HTTP_FAULTS)) {
      const extra =
        status === 429 || status === 503 ? ['retry-after', String(retryAfterSeconds)] : [];
      out[fault as HttpFault] = prepareJson(status, errorBody(dialect, status, message), extra);
    }
    out['http-error'] = prepareCustom(dialect, custom);
    return out;
  };
  return { openai: build('openai'), anthropic: build('anthropic') };
}

function prepareCustom(dialect: Dialect, custom: Readonly<MockErrorResponse>): Prepared {
  const { status, body } = custom;
  const text =
    body === undefined
      ? errorBody(dialect, status, `Mock fault http-error: status ${status}.`)
      : typeof body === 'string'
        ? body
        : JSON.stringify(body);
  const prepared = prepareJson(status, text);
  const headers = [...prepared.headers];
  for (const [name, value] of Object.entries(custom.headers ?? {})) {
    const at = headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name.toLowerCase());
    if (at === -1) headers.push(name, value);
    else headers[at + 1] = value;
  }
  return { ...prepared, headers };
}

const MALFORMED = prepareJson(
  200,
  '{"id":"chatcmpl-mock","object":"chat.completion","choices":[{ this is not JSON',
);
const WRONG_SHAPE = prepareJson(200, '{"foo":1}');
/** The first half of a plausible body; the declared length promises the rest, which never comes. */
const PARTIAL = Buffer.from(
  '{"id":"chatcmpl-mock","object":"chat.completion","choices":[{"index":0,',
);
const PARTIAL_HEADERS = [
  'content-type',
  'application/json',
  'content-length',
  String(PARTIAL.length * 2),
];

export interface FaultTarget {
  readonly res: ServerResponse;
  readonly dialect: Dialect;
  readonly responses: FaultResponses;
  /** Set when the request asked for a stream on a route that streams. */
  readonly stream: StreamPlan | undefined;
}

export function playFault(fault: MockFault, target: FaultTarget): void {
  const { res, stream } = target;
  switch (fault) {
    case 'http-400':
    case 'http-401':
    case 'http-429':
    case 'http-500':
    case 'http-503':
    case 'http-error':
      sendPrepared(res, target.responses[target.dialect][fault]);
      return;
    case 'malformed-json':
      sendPrepared(res, MALFORMED);
      return;
    case 'wrong-shape':
      sendPrepared(res, WRONG_SHAPE);
      return;
    case 'reset':
      // RST rather than FIN: the client sees ECONNRESET, as with a crashed upstream or a proxy.
      res.socket?.resetAndDestroy();
      return;
    case 'hang':
      // Nothing is sent; close() or the client ends it.
      return;
    case 'cut-stream':
      if (stream === undefined) {
        sendPartial(res);
      } else {
        startEventStream(res);
        for (let i = 0; i <= stream.firstContent; i++) res.write(stream.events[i]!);
      }
      {
        // Destroy only once the writes above are flushed, so they arrive before the FIN.
        const socket = res.socket;
        socket?.end(() => socket.destroy());
      }
      return;
    case 'stream-garbage':
      if (stream === undefined) {
        sendPrepared(res, MALFORMED);
        return;
      }
      startEventStream(res);
      res.write(stream.events[0]!);
      res.write(stream.garbage);
      res.end(stream.terminator);
      return;
    case 'hang-mid-stream':
      if (stream === undefined) {
        sendPartial(res);
      } else {
        startEventStream(res);
        res.write(stream.events[0]!);
      }
      return;
  }
}

function sendPartial(res: ServerResponse): void {
  res.writeHead(200, PARTIAL_HEADERS);
  res.write(PARTIAL);
}
