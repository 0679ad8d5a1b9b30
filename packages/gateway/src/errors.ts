import { errorFactory, type ErrorCatalogue } from '@rampart/core';

/**
 * The gateway's error catalogue: every code a client, an operator or an audit event can see.
 * Codes are never reused or renamed; docs/errors.md is generated from this table and CI fails
 * when it is stale. Details passed at throw sites must never carry a secret, token, prompt or PII.
 */
export const GATEWAY_ERRORS = {
  'config.invalid': {
    status: 500,
    title: 'Invalid configuration',
    doc: 'The configuration failed validation at start-up; the message names the key and the fix.',
  },
  'config.insecure': {
    status: 500,
    title: 'Insecure configuration refused',
    doc: 'The configuration combines options that would expose the gateway unsafely; the message names the key and the fix.',
  },
  'config.secret_missing': {
    status: 500,
    title: 'Secret not available',
    doc: 'A secret the configuration names is unset, empty or unreadable: a provider key (`apiKeyEnv`, `apiKeyFile`), a key source (`keys.<name>.file`, `keys.<name>.env`) or the TLS key pair. `problems` lists each with its key and fix. Checked before anything is opened; `rampart config check` reports the same. A provider marked `optional: true` is left out with a warning instead.',
  },
  'request.malformed_json': {
    status: 400,
    title: 'Malformed JSON body',
    doc: 'The request body is not valid JSON. Send a single JSON object.',
  },
  'request.unsupported_media_type': {
    status: 415,
    title: 'Unsupported content type',
    doc: 'The endpoint accepts only `application/json` bodies.',
  },
  'request.body_too_large': {
    status: 413,
    title: 'Request body too large',
    doc: "The body exceeds the route's limit (`limits.maxChatBodyBytes` for chat completions, `limits.maxBodyBytes` for the rest); send less or raise the limit.",
  },
  'request.headers_too_large': {
    status: 431,
    title: 'Request headers too large',
    doc: 'Too many headers or too many header bytes (`limits.maxHeaderCount`, `limits.maxHeaderBytes`).',
  },
  'request.invalid_parameter': {
    status: 400,
    title: 'Invalid request parameter',
    doc: 'A body field has the wrong type, is out of range or is unknown where unknown fields are refused; `errors` lists each path.',
  },
  'request.timeout': {
    status: 408,
    title: 'Request timed out',
    doc: 'The client did not send the whole request within `server.requestTimeoutMs`.',
  },
  'request.bad_request': {
    status: 400,
    title: 'Invalid request line or headers',
    doc: 'The HTTP request could not be parsed.',
  },
  'request.invalid_host': {
    status: 400,
    title: 'Missing or repeated Host header',
    doc: 'An HTTP/1.1 request must carry exactly one `Host` header (RFC 9112, section 3.2); two are refused rather than guessed between, since proxies may pick differently.',
  },
  'request.unsupported_content_encoding': {
    status: 415,
    title: 'Unsupported content encoding',
    doc: 'The body carries a `Content-Encoding` other than `identity`; send it uncompressed. (Refused rather than decompressed: a compressed body would escape the size bounds.)',
  },
  'request.expectation_failed': {
    status: 417,
    title: 'Expectation failed',
    doc: 'The `Expect` header asks for something other than `100-continue`, the only expectation HTTP defines.',
  },
  'request.client_closed': {
    status: 499,
    title: 'Client closed the request',
    doc: 'The client went away before the answer was complete; the upstream call was cancelled so no more tokens are spent. Seen in logs and metrics only.',
  },
  'route.not_found': {
    status: 404,
    title: 'Not found',
    doc: 'No route answers this method and path.',
  },
  'route.method_not_allowed': {
    status: 405,
    title: 'Method not allowed',
    doc: 'The path exists but not for this HTTP method.',
  },
  'cors.origin_denied': {
    status: 403,
    title: 'Origin not allowed',
    doc: 'A browser request came from an origin not listed in `server.cors.origins`.',
  },
  'model.unknown_alias': {
    status: 404,
    title: 'Unknown model',
    doc: 'The `model` names no alias in the configuration; `GET /v1/models` lists the ones you may use.',
  },
  'model.wrong_kind': {
    status: 400,
    title: 'Model does not serve this endpoint',
    doc: 'The alias exists but is configured for another endpoint (chat versus embeddings).',
  },
  'upstream.timeout': {
    status: 504,
    title: 'Upstream timed out',
    doc: 'The AI provider did not answer within the provider timeout.',
  },
  'upstream.unreachable': {
    status: 502,
    title: 'Upstream unreachable',
    doc: 'The AI provider refused or dropped the connection.',
  },
  'upstream.server_error': {
    status: 502,
    title: 'Upstream failed',
    doc: 'The AI provider answered with a 5xx status.',
  },
  'upstream.rate_limited': {
    status: 503,
    title: 'Upstream rate limited',
    doc: 'The AI provider answered 429; retry after the `Retry-After` delay.',
  },
  'upstream.rejected': {
    status: 502,
    title: 'Upstream rejected the request',
    doc: 'The AI provider answered with a 4xx status other than 429 (often a bad provider key or model name in the configuration).',
  },
  'upstream.malformed_response': {
    status: 502,
    title: 'Malformed upstream response',
    doc: 'The AI provider answered with a body that is not the JSON or event stream its API promises.',
  },
  'upstream.response_too_large': {
    status: 502,
    title: 'Upstream response too large',
    doc: 'The AI provider answer exceeds `providers.<name>.maxResponseBytes`.',
  },
  'upstream.stream_interrupted': {
    status: 502,
    title: 'Upstream stream interrupted',
    doc: 'The AI provider event stream ended or failed before completion; sent as a terminal SSE `error` event.',
  },
  'server.shutting_down': {
    status: 503,
    title: 'Shutting down',
    doc: 'The gateway is draining for shutdown; retry against another replica.',
  },
  'server.not_ready': {
    status: 503,
    title: 'Not ready',
    doc: 'A dependency (the database) is not reachable; `/readyz` reports which.',
  },
  'store.unavailable': {
    status: 503,
    title: 'Database unavailable',
    doc: 'The database could not be opened or reached (the SQLite file under `dataDir`, or `database.url` — named without its password), or the store is closed.',
  },
  'store.migration_failed': {
    status: 500,
    title: 'Database migration failed',
    doc: 'A schema migration failed at start-up, or the database was migrated by a newer Rampart; the message names the migration. Fix the cause (or upgrade) and restart.',
  },
  'keys.unreadable': {
    status: 500,
    title: 'Key not readable',
    doc: 'A key file or environment variable named as a key source is missing, empty, too large or unreadable; the message names it (see docs/keys.md).',
  },
  'keys.insecure_permissions': {
    status: 500,
    title: 'Key file permissions too open',
    doc: 'A key file, or the `keys/` directory, is accessible by group or others; the message names it. Fix: `chmod 600 FILE` (`chmod 700` for the directory).',
  },
  'keys.invalid': {
    status: 500,
    title: 'Invalid key',
    doc: 'A key file or variable is not a valid Rampart key set or JWK of the expected type; the message names the source and the field, never the key material (see docs/keys.md).',
  },
  'keys.read_only': {
    status: 409,
    title: 'Key supplied externally',
    doc: 'Rotation was asked for a key read from a file or environment variable; Rampart never rewrites those, so rotate it where it is stored (see docs/keys.md).',
  },
  'internal.error': {
    status: 500,
    title: 'Internal error',
    doc: 'An unexpected fault; the request id in the response finds it in the logs.',
  },
} as const satisfies ErrorCatalogue<string>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export const gatewayError = errorFactory<GatewayErrorCode>(GATEWAY_ERRORS);
