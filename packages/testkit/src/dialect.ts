/**
 * The two wire dialects the mock speaks, and how each says "error". Status-to-type tables follow
 * the providers' documented error types, so adapters can be tested against what they will see.
 */
export type Dialect = 'openai' | 'anthropic';

export type ErrorStatus = 400 | 401 | 404 | 413 | 429 | 500 | 503;

interface OpenAiErrorKind {
  readonly type: string;
  readonly code: string | null;
}

const OPENAI_ERRORS = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  404: { type: 'invalid_request_error', code: null },
  413: { type: 'invalid_request_error', code: null },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
  500: { type: 'server_error', code: null },
  503: { type: 'server_error', code: null },
} as const satisfies Record<ErrorStatus, OpenAiErrorKind>;

const ANTHROPIC_ERRORS = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  // Anthropic says "overloaded" with 529; a 503 from it means the same thing to a client.
  503: 'overloaded_error',
} as const satisfies Record<ErrorStatus, string>;

/** `{error:{message,type,param,code}}` or `{type:'error',error:{type,message}}`. */
export function errorBody(dialect: Dialect, status: ErrorStatus, message: string): string {
  if (dialect === 'anthropic') {
    return JSON.stringify({ type: 'error', error: { type: ANTHROPIC_ERRORS[status], message } });
  }
  const kind = OPENAI_ERRORS[status];
  return JSON.stringify({ error: { message, type: kind.type, param: null, code: kind.code } });
}

/** Which dialect answers a request the router does not know: Anthropic's paths and header. */
export function guessDialect(pathname: string, anthropicVersion: unknown): Dialect {
  return pathname.startsWith('/v1/messages') || anthropicVersion !== undefined
    ? 'anthropic'
    : 'openai';
}
