import { isRampartError, type RampartError } from '@rampart/core';
import { gatewayError, type GatewayErrorCode } from '../../errors.js';
import { describeFields, errorFields } from './upstream-errors.js';

/**
 * Turns everything that can go wrong talking to an upstream into the gateway's catalogue.
 *
 * Details reach the client, so they are built only from things we produce ourselves (status
 * codes, Node/undici error codes, the provider's error type and code when on the allowlist) —
 * never from an upstream message, which may quote the key prefix, an internal host or the
 * prompt. Error statuses are classified in upstream-errors.ts.
 */

/** Connect-phase failures: no byte of the request can have reached the upstream. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TIMEOUT_CODES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting to the upstream timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the upstream sent no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the upstream went silent for longer than the body timeout',
};

export interface TransportFault {
  readonly error: RampartError<GatewayErrorCode>;
  /** True only when the upstream provably never received the request. */
  readonly retryable: boolean;
}

/** The phase decides what a dropped connection means: before the response, or inside a stream. */
export type Phase = 'request' | 'body' | 'stream';

/**
 * Maps a transport error. When the caller's signal fired, its reason is rethrown unchanged: the
 * client went away (or the gateway is draining), which is not an upstream fault.
 */
export function transportFault(err: unknown, phase: Phase, signal: AbortSignal): TransportFault {
  if (signal.aborted) throw signal.reason;
  if (isRampartError(err))
    return { error: err as RampartError<GatewayErrorCode>, retryable: false };
  const code = errorCode(err);
  const timeout = TIMEOUT_CODES[code];
  if (timeout !== undefined) {
    return {
      error: gatewayError('upstream.timeout', timeout, { cause: err }),
      retryable: NOT_SENT_CODES.has(code),
    };
  }
  const suffix = code === '' ? '' : ` (${code})`;
  if (phase === 'stream') {
    return {
      error: gatewayError(
        'upstream.stream_interrupted',
        `the upstream connection failed mid-stream${suffix}`,
        { cause: err },
      ),
      retryable: false,
    };
  }
  const what = phase === 'body' ? 'while sending its response' : 'before responding';
  return {
    error: gatewayError('upstream.unreachable', `the upstream connection failed ${what}${suffix}`, {
      cause: err,
    }),
    retryable: phase === 'request' && NOT_SENT_CODES.has(code),
  };
}

/**
 * The Node or undici code of an error, sanitised. Happy-eyeballs connects report an
 * AggregateError whose own code may be missing; the first inner error then says what happened.
 */
export function errorCode(err: unknown): string {
  let code: unknown = (err as { code?: unknown } | null)?.code;
  if (code === undefined && err instanceof AggregateError) {
    code = (err.errors[0] as { code?: unknown } | undefined)?.code;
  }
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : '';
}

/**
 * ` (type, code)` from a provider error document — OpenAI `{error: {type, code}}`, Anthropic
 * `{type: 'error', error: {type}}` — naming only values on the allowlist (allowlist.ts), or ''.
 */
export function errorTokens(document: unknown): string {
  return describeFields(errorFields(document));
}

/** Retry-After as whole seconds (delta-seconds or an HTTP date), undefined when absent or bad. */
export function parseRetryAfter(
  header: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** A short, safe rendering of a content type for an error detail. */
export function describeContentType(value: string | string[] | undefined): string {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === '') return 'no content type';
  const media = first.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9.+-]{1,40}\/[a-z0-9.+-]{1,60}$/.test(media) ? media : 'an invalid content type';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
