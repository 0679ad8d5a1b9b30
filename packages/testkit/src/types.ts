/**
 * The public contract of the mock upstream. Gateway tests, demo mode and the benchmarks code
 * against these names, so they change only together with their callers.
 */

/** Every fault the mock can play, in the order the docs list them. */
export const MOCK_FAULTS = [
  'http-500',
  'http-503',
  'http-429',
  'http-400',
  'http-401',
  'http-error',
  'malformed-json',
  'wrong-shape',
  'cut-stream',
  'stream-garbage',
  'hang',
  'hang-mid-stream',
  'reset',
] as const;

/**
 * - `http-*`: that status with the provider's error body (`Retry-After` on 429 and 503).
 * - `http-error`: the `errorResponse` option — any status, any body (default: 400 with the
 *   provider's error body).
 * - `malformed-json`: 200 + application/json, but the body is not JSON.
 * - `wrong-shape`: 200 + valid JSON that is not a completion (`{"foo":1}`).
 * - `cut-stream`: streaming: the first 2 chunks (role, first delta), then the socket is destroyed
 *   without `[DONE]`. On a non-streaming request: half a JSON body, then the socket is destroyed.
 * - `stream-garbage`: streaming: one valid chunk, then a `data:` line that is not JSON, then the
 *   normal end marker. On a non-streaming request: same as `malformed-json`.
 * - `hang`: the request is read but no headers are ever sent (until the mock closes).
 * - `hang-mid-stream`: streaming: one chunk, then silence. On a non-streaming request: headers and
 *   half a body, then silence.
 * - `reset`: the socket is reset (TCP RST) without a response.
 */
export type MockFault = (typeof MOCK_FAULTS)[number];

/**
 * - `upstream` (default): answers as a provider would — an ordinary assistant reply, tool calls
 *   when the request offers tools. For tests and benchmarks.
 * - `demo`: the same, but the text reply says that no provider is configured (`rampart serve`'s
 *   demo mode), so nobody mistakes it for a model's answer.
 */
export type MockMode = 'upstream' | 'demo';

export interface MockUpstreamOptions {
  /** Default `upstream`. */
  mode?: MockMode;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Delay before the response starts, default 0 (no timer at all when 0). */
  latencyMs?: number;
  /** Content chunks per streamed completion, default 8. */
  streamChunks?: number;
  /** Delay between content chunks, default 0 (all written synchronously when 0). */
  streamIntervalMs?: number;
  /** Reported usage for every call (embeddings report `promptTokens`). */
  usage?: { promptTokens: number; completionTokens: number };
  /** Applied to every request while set. A `fault:<MockFault>` model wins over it. */
  fault?: MockFault | undefined;
  /** The assistant's text (default: an ordinary greeting; in demo mode, the demo explanation). */
  reply?: string;
  /** `Retry-After` on http-429 and http-503, default 1. */
  retryAfterSeconds?: number;
  /** How many requests `requests` keeps (oldest dropped first), default 1000; 0 records none. */
  recordLimit?: number;
  /** What fault `http-error` answers; default 400 with the provider's error body. */
  errorResponse?: MockErrorResponse;
  /**
   * Top-level body fields the mock answers 422 for, as an OpenAI-compatible server that refuses
   * fields it does not know (some Mistral versions refuse `stream_options`). Default none.
   */
  refuseFields?: readonly string[];
}

/** An arbitrary error answer, played by fault `http-error`. */
export interface MockErrorResponse {
  /** 400–599. */
  status: number;
  /**
   * A string is sent as it is; anything else as JSON. Default: the provider's error body for
   * the status (its documented error type, a mock message).
   */
  body?: unknown;
  /** Extra response headers, e.g. `retry-after`; `content-type` replaces `application/json`. */
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  /** The request target as sent: path and query string (Azure's `?api-version=` shows here). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, the raw text when it is not JSON, or undefined when there was no body (or it was over the limit). */
  body: unknown;
}

export interface MockUpstream {
  /** `http://127.0.0.1:PORT`: no trailing slash, no `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request, oldest first, capped at `recordLimit`. */
  readonly requests: RecordedRequest[];
  setOptions(options: Partial<MockUpstreamOptions>): void;
  setFault(fault: MockFault | undefined): void;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

export function isMockFault(value: string): value is MockFault {
  return (MOCK_FAULTS as readonly string[]).includes(value);
}
