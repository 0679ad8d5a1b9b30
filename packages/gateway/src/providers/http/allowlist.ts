/**
 * The upstream error values Rampart repeats to clients. An upstream error document is hostile
 * text as far as the client is concerned: its message can quote the provider key, an internal
 * host or the prompt, and an OpenAI-compatible server can put anything in `type` or `code`. So
 * only values on these lists leave the gateway, each a short identifier from the providers'
 * documentation; everything else is dropped, never echoed.
 *
 * Sources: OpenAI's documented error codes (platform docs, error-codes guide) and the code
 * unions of the installed `openai` package (`ResponseError['code']`); Anthropic's documented
 * error types (`errors` page of its API docs). test/providers/allowlist.test.ts checks the lists
 * against the `openai` package's types, so an upgrade that adds a code shows up there.
 */

/** OpenAI `error.type` values. */
export const OPENAI_ERROR_TYPES: ReadonlySet<string> = new Set([
  'insufficient_quota',
  'invalid_request_error',
  'requests',
  'server_error',
  'tokens',
]);

/**
 * OpenAI `error.code` values that say the request itself is at fault: the client can fix it by
 * sending something else. Grouped by the catalogue code they lead to (upstream-errors.ts).
 */
export const CONTEXT_LENGTH_CODES: ReadonlySet<string> = new Set(['context_length_exceeded']);

export const CONTENT_POLICY_CODES: ReadonlySet<string> = new Set([
  'bio_policy',
  // Azure OpenAI's prompt and completion filters.
  'content_filter',
  'content_policy_violation',
  'image_content_policy_violation',
  'invalid_prompt',
]);

export const INVALID_REQUEST_CODES: ReadonlySet<string> = new Set([
  'array_above_max_length',
  'array_below_min_length',
  'decimal_above_max_value',
  'decimal_below_min_value',
  'empty_array',
  'empty_image_file',
  'empty_string',
  'failed_to_download_image',
  'image_file_not_found',
  'image_file_too_large',
  'image_parse_error',
  'image_too_large',
  'image_too_small',
  'integer_above_max_value',
  'integer_below_min_value',
  'invalid_base64_image',
  'invalid_function_parameters',
  'invalid_image',
  'invalid_image_format',
  'invalid_image_mode',
  'invalid_image_url',
  'invalid_type',
  'invalid_value',
  'missing_required_parameter',
  'string_above_max_length',
  'unknown_parameter',
  'unsupported_image_media_type',
  'unsupported_parameter',
  'unsupported_value',
]);

/** OpenAI `error.code` values that blame the gateway's configuration (key, model, account). */
export const AUTH_CODES: ReadonlySet<string> = new Set(['invalid_api_key', 'invalid_organization']);
export const PERMISSION_CODES: ReadonlySet<string> = new Set([
  'unsupported_country_region_territory',
]);
export const MODEL_CODES: ReadonlySet<string> = new Set(['model_not_found']);
export const QUOTA_CODES: ReadonlySet<string> = new Set([
  'billing_hard_limit_reached',
  'billing_not_active',
  'insufficient_quota',
]);
export const OTHER_CODES: ReadonlySet<string> = new Set(['rate_limit_exceeded', 'server_error']);

/** Every OpenAI `error.code` Rampart may repeat. */
export const OPENAI_ERROR_CODES: ReadonlySet<string> = new Set([
  ...CONTEXT_LENGTH_CODES,
  ...CONTENT_POLICY_CODES,
  ...INVALID_REQUEST_CODES,
  ...AUTH_CODES,
  ...PERMISSION_CODES,
  ...MODEL_CODES,
  ...QUOTA_CODES,
  ...OTHER_CODES,
]);

/**
 * Anthropic's documented `error.type` values, with the status each comes with. Anthropic
 * errors carry no code: upstream-errors.ts classifies them by this type and the status.
 */
export const ANTHROPIC_ERROR_TYPES = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
} as const satisfies Record<string, number>;

/**
 * The request parameters an OpenAI `error.param` may start with: the chat-completion and
 * embedding request fields (checked against the `openai` package's types in the allowlist
 * test), and `prompt`, which Azure's content filter names.
 */
export const OPENAI_PARAM_ROOT_NAMES = [
  'audio',
  'dimensions',
  'encoding_format',
  'frequency_penalty',
  'function_call',
  'functions',
  'input',
  'logit_bias',
  'logprobs',
  'max_completion_tokens',
  'max_tokens',
  'messages',
  'metadata',
  'modalities',
  'model',
  'moderation',
  'n',
  'parallel_tool_calls',
  'prediction',
  'presence_penalty',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'reasoning_effort',
  'response_format',
  'safety_identifier',
  'seed',
  'service_tier',
  'stop',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'user',
  'verbosity',
  'web_search_options',
] as const;

export const OPENAI_PARAM_ROOTS: ReadonlySet<string> = new Set(OPENAI_PARAM_ROOT_NAMES);

/** Segments after the root: `[3]` or `.name`, names of lowercase letters and underscores. */
const PARAM_PATH = /^([a-z_]{1,40})((?:\[\d{1,5}\]|\.[a-z_]{1,40}){0,12})$/;
const MAX_PARAM_LENGTH = 160;

/** `error.param` when it is a path into the request such as `messages[2].content[0].image_url`. */
export function allowedParam(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_PARAM_LENGTH) return undefined;
  const match = PARAM_PATH.exec(value);
  return match !== null && OPENAI_PARAM_ROOTS.has(match[1]!) ? value : undefined;
}

export function allowedType(value: unknown): string | undefined {
  return typeof value === 'string' && OPENAI_ERROR_TYPES.has(value) ? value : undefined;
}

export function allowedCode(value: unknown): string | undefined {
  return typeof value === 'string' && OPENAI_ERROR_CODES.has(value) ? value : undefined;
}

/** An Anthropic `error.type`, for classification and for an operator-facing summary. */
export function anthropicType(value: unknown): keyof typeof ANTHROPIC_ERROR_TYPES | undefined {
  return typeof value === 'string' && Object.hasOwn(ANTHROPIC_ERROR_TYPES, value)
    ? (value as keyof typeof ANTHROPIC_ERROR_TYPES)
    : undefined;
}
