import type { RampartError } from '@rampart/core';
import { gatewayError, type GatewayErrorCode } from '../../errors.js';
import {
  ANTHROPIC_ERROR_TYPES,
  AUTH_CODES,
  CONTENT_POLICY_CODES,
  CONTEXT_LENGTH_CODES,
  MODEL_CODES,
  PERMISSION_CODES,
  QUOTA_CODES,
  allowedCode,
  allowedParam,
  allowedType,
  anthropicType,
} from './allowlist.js';

/**
 * Who caused an upstream error response, and so what the client is told. docs/upstream-errors.md
 * is the same rule as a table; test/providers/upstream-errors.test.ts runs every row.
 *
 * - **The request** (the app can fix it by sending something else): 400 and 422, and 413. The
 *   client gets a 4xx, which OpenAI SDKs do not retry, with a catalogue code of its own and,
 *   in the OpenAI-shaped `error` member, the upstream's `type`, `code` and `param` when they are
 *   on the allowlist (allowlist.ts).
 * - **The gateway's configuration** (only the operator can fix it): 401 (the provider key), 403
 *   (the key's permissions or region), 404 and 410 (the upstream model, or the base URL), 402
 *   and a quota code — OpenAI's 429 `insufficient_quota` included (the account's money or
 *   quota). The client gets 502 with a code naming the cause.
 * - **Transient**: 429 otherwise is `upstream.rate_limited` (503, Retry-After), 408 is
 *   `upstream.timeout`, every 5xx (Anthropic's 529 included) is `upstream.server_error`.
 * - Any other 4xx (405, 409, 415, 451, …) says neither: `upstream.rejected`, 502.
 *
 * OpenAI error codes that name a configuration cause (`invalid_api_key`, `model_not_found`,
 * `insufficient_quota`, …) win over the status of any 4xx.
 *
 * Anthropic errors carry no code. An Anthropic error document (`{type: 'error', error: {type}}`)
 * is classified by its documented `error.type`, read as the status the docs pair it with
 * (`invalid_request_error` 400, `authentication_error` 401, `billing_error` 402,
 * `permission_error` 403, `not_found_error` 404, `request_too_large` 413, `rate_limit_error`
 * 429, `api_error` 500, `timeout_error` 504, `overloaded_error` 529) when the HTTP status is a
 * 4xx (a 5xx is a server error whatever the body says); an unknown or missing type leaves the
 * HTTP status to decide. So, for example, Anthropic's "prompt is too long" (400
 * `invalid_request_error`) is `upstream.request_invalid`, not `upstream.context_length_exceeded`:
 * its message is the only thing that tells them apart, and messages are never read.
 */

/** The fields of an upstream error document Rampart may use, each already allowlisted. */
export interface UpstreamErrorFields {
  /** OpenAI `error.type` on the allowlist. */
  readonly type?: string;
  /** OpenAI `error.code` on the allowlist. */
  readonly code?: string;
  /** OpenAI `error.param`, when it is a path into the request. */
  readonly param?: string;
  /** A documented Anthropic `error.type`, when the document is Anthropic's. */
  readonly anthropicType?: keyof typeof ANTHROPIC_ERROR_TYPES;
}

/** Reads the allowlisted fields of an error body; anything unparsable yields none. */
export function readErrorFields(body: string): UpstreamErrorFields {
  try {
    return errorFields(JSON.parse(body));
  } catch {
    return {};
  }
}

/** The allowlisted fields of a parsed error document (also an error event inside a stream). */
export function errorFields(document: unknown): UpstreamErrorFields {
  if (!isObject(document)) return {};
  // OpenAI `{error: {…}}`; some OpenAI-compatible servers put the fields at the top level.
  const inner = isObject(document.error) ? document.error : document;
  if (document.type === 'error') {
    const type = anthropicType(inner.type);
    return type === undefined ? {} : { anthropicType: type };
  }
  const fields: { -readonly [K in keyof UpstreamErrorFields]: UpstreamErrorFields[K] } = {};
  const type = allowedType(inner.type);
  const code = allowedCode(inner.code);
  const param = allowedParam(inner.param);
  if (type !== undefined) fields.type = type;
  if (code !== undefined) fields.code = code;
  if (param !== undefined) fields.param = param;
  return fields;
}

/** The catalogue code for an upstream error status (4xx or 5xx) and its allowlisted fields. */
export function classifyUpstreamError(
  status: number,
  fields: UpstreamErrorFields,
): GatewayErrorCode {
  if (status >= 500) return 'upstream.server_error';
  const effective =
    fields.anthropicType === undefined ? status : ANTHROPIC_ERROR_TYPES[fields.anthropicType];
  if (effective >= 500) return 'upstream.server_error';
  const code = fields.code;
  if (code !== undefined) {
    if (QUOTA_CODES.has(code)) return 'upstream.quota_exceeded';
    if (AUTH_CODES.has(code)) return 'upstream.auth_failed';
    if (PERMISSION_CODES.has(code)) return 'upstream.permission_denied';
    if (MODEL_CODES.has(code)) return 'upstream.model_not_found';
  }
  switch (effective) {
    case 400:
    case 422:
      if (code !== undefined && CONTEXT_LENGTH_CODES.has(code)) {
        return 'upstream.context_length_exceeded';
      }
      if (code !== undefined && CONTENT_POLICY_CODES.has(code)) return 'upstream.content_filtered';
      return 'upstream.request_invalid';
    case 413:
      return 'upstream.request_too_large';
    case 401:
      return 'upstream.auth_failed';
    case 402:
      return 'upstream.quota_exceeded';
    case 403:
      return 'upstream.permission_denied';
    case 404:
    case 410:
      return 'upstream.model_not_found';
    case 408:
      return 'upstream.timeout';
    case 429:
      return 'upstream.rate_limited';
    default:
      return 'upstream.rejected';
  }
}

/** Codes whose problem document carries the upstream's allowlisted OpenAI error fields. */
const CLIENT_CAUSED: ReadonlySet<GatewayErrorCode> = new Set([
  'upstream.context_length_exceeded',
  'upstream.content_filtered',
  'upstream.request_invalid',
  'upstream.request_too_large',
]);

export function isClientCaused(code: GatewayErrorCode): boolean {
  return CLIENT_CAUSED.has(code);
}

/** Rampart's own words for what the client caused; the upstream's message is never repeated. */
const CLIENT_DETAIL: Readonly<Record<string, string>> = {
  'upstream.context_length_exceeded':
    "The request does not fit the model's context window: shorten the messages or lower the maximum completion tokens.",
  'upstream.content_filtered': "The AI provider's content policy refused this request.",
  'upstream.request_invalid': 'The AI provider refused this request as invalid.',
  'upstream.request_too_large':
    'The AI provider refused this request as too large: send less (fewer or smaller images).',
};

/**
 * The error an upstream error response becomes. `text` is the start of its body; only the
 * allowlisted fields of it reach the error, whose detail is built from the status and those.
 */
export function upstreamStatusError(
  status: number,
  text: string,
  retryAfter: number | undefined,
): RampartError<GatewayErrorCode> {
  const fields = readErrorFields(text);
  const code = classifyUpstreamError(status, fields);
  const summary = `the upstream answered ${status}${describeFields(fields)}`;
  if (isClientCaused(code)) {
    // What the app would see from OpenAI itself: every request-caused refusal there is an
    // `invalid_request_error` (Anthropic's documented types here all are too), and a code or
    // param OpenAI did not give is null there.
    const openai = {
      type: fields.type ?? 'invalid_request_error',
      code: fields.code ?? null,
      param: fields.param ?? null,
    };
    return gatewayError(code, `${CLIENT_DETAIL[code]} (${summary})`, {
      extensions: { error: openai },
    });
  }
  const carriesRetryAfter = code === 'upstream.rate_limited' || code === 'upstream.server_error';
  const extensions = carriesRetryAfter && retryAfter !== undefined ? { retryAfter } : {};
  return gatewayError(code, summary, { extensions });
}

/** ` (type, code; param p)` from allowlisted fields, or ''. */
export function describeFields(fields: UpstreamErrorFields): string {
  const tokens = [fields.anthropicType, fields.type, fields.code].filter(
    (t): t is string => t !== undefined,
  );
  const unique = tokens.filter((t, i) => tokens.indexOf(t) === i);
  const param = fields.param === undefined ? '' : `; param ${fields.param}`;
  if (unique.length === 0 && param === '') return '';
  return ` (${unique.join(', ')}${unique.length === 0 ? param.slice(2) : param})`;
}

// Not imported from faults.ts, which imports this module.
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
