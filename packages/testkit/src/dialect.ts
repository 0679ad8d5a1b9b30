/**
 * The two wire dialects the mock speaks, and how each says "error". Status-to-type tables follow
 * the providers' documented error types, so adapters can be tested against what they will see.
 */
export type Dialect = 'openai' | 'anthropic';

export type ErrorStatus = 400 | 401 | 403 | 404 | 413 | 429 | 500 | 503;

interface OpenAiErrorKind {
  readonly type: string;
  readonly code: string | null;
}

const OPENAI_ERRORS = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { type: 'invalid_request_error', code: null },
  404: { type: 'invalid_request_error', code: null },
  413: { type: 'invalid_request_error', code: null },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
  500: { type: 'server_error', code: null },
  503: { type: 'server_error', code: null },
} as const satisfies Record<ErrorStatus, OpenAiErrorKind>;

const ANTHROPIC_ERRORS = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  // Anthropic says "overloaded" with 529; a 503 from it means the same thing to a client.
  503: 'overloaded_error',
} as const satisfies Record<ErrorStatus, string>;

/**
 * `{error:{message,type,param,code}}` or `{type:'error',error:{type,message}}`. A status outside
 * the tables gets the generic type of its class (`invalid_request_error`, `server_error` /
 * `api_error`).
 */
export function errorBody(dialect: Dialect, status: number, message: string): string {
  const known = Object.hasOwn(OPENAI_ERRORS, status) ? (status as ErrorStatus) : undefined;
  if (dialect === 'anthropic') {
    const type =
      known === undefined
        ? status >= 500
          ? 'api_error'
          : 'invalid_request_error'
        : ANTHROPIC_ERRORS[known];
    return JSON.stringify({ type: 'error', error: { type, message } });
  }
  const kind: OpenAiErrorKind =
    known === undefined
      ? { type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null }
      : OPENAI_ERRORS[known];
  return JSON.stringify({ error: { message, type: kind.type, param: null, code: kind.code } });
}

/** Which dialect answers a request the router does not know: Anthropic's paths and header. */
export function guessDialect(pathname: string, anthropicVersion: unknown): Dialect {
  return pathname.startsWith('/v1/messages') || anthropicVersion !== undefined
    ? 'anthropic'
    : 'openai';
}
