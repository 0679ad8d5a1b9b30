import {
  isMockFault,
  type MockErrorResponse,
  type MockFault,
  type MockMode,
  type MockUpstreamOptions,
} from './types.js';

/** What the mock says in upstream mode: an ordinary assistant answer. */
export const UPSTREAM_REPLY = 'Hello! How can I help you today?';

/** What the mock says in demo mode (`rampart serve` with no provider): why the answer is canned. */
export const DEMO_REPLY =
  'This is the Rampart demo mock answering: no AI provider is configured, so this reply is canned.';

function defaultReply(mode: MockMode): string {
  return mode === 'demo' ? DEMO_REPLY : UPSTREAM_REPLY;
}

/** The options a running mock works from; host and port only matter at start. */
export interface ResolvedOptions {
  readonly mode: MockMode;
  readonly latencyMs: number;
  readonly streamChunks: number;
  readonly streamIntervalMs: number;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number };
  readonly fault: MockFault | undefined;
  readonly reply: string;
  readonly retryAfterSeconds: number;
  readonly recordLimit: number;
  readonly errorResponse: Readonly<MockErrorResponse>;
  readonly refuseFields: readonly string[];
}

export const MOCK_DEFAULTS: ResolvedOptions = Object.freeze({
  mode: 'upstream',
  latencyMs: 0,
  streamChunks: 8,
  streamIntervalMs: 0,
  usage: Object.freeze({ promptTokens: 9, completionTokens: 12 }),
  fault: undefined,
  reply: UPSTREAM_REPLY,
  retryAfterSeconds: 1,
  recordLimit: 1000,
  errorResponse: Object.freeze({ status: 400 }),
  refuseFields: Object.freeze([]),
});

/**
 * Applies a patch over resolved options. A bad value throws a RangeError naming the option:
 * these come from test code, and a typo that silently did nothing would make a test lie.
 */
export function mergeOptions(
  base: ResolvedOptions,
  patch: Partial<MockUpstreamOptions>,
): ResolvedOptions {
  const next: { -readonly [K in keyof ResolvedOptions]: ResolvedOptions[K] } = { ...base };
  if (patch.latencyMs !== undefined) next.latencyMs = nonNegative('latencyMs', patch.latencyMs);
  if (patch.streamChunks !== undefined) {
    next.streamChunks = integer('streamChunks', patch.streamChunks, 1);
  }
  if (patch.streamIntervalMs !== undefined) {
    next.streamIntervalMs = nonNegative('streamIntervalMs', patch.streamIntervalMs);
  }
  if (patch.usage !== undefined) {
    next.usage = Object.freeze({
      promptTokens: integer('usage.promptTokens', patch.usage.promptTokens, 0),
      completionTokens: integer('usage.completionTokens', patch.usage.completionTokens, 0),
    });
  }
  // `fault: undefined` is meaningful (clear the fault), so presence is what counts here.
  if (Object.hasOwn(patch, 'fault')) {
    const fault = patch.fault;
    if (fault !== undefined && !isMockFault(fault)) {
      throw new RangeError(`mock upstream: unknown fault ${JSON.stringify(fault)}`);
    }
    next.fault = fault;
  }
  if (patch.mode !== undefined) {
    if (patch.mode !== 'upstream' && patch.mode !== 'demo') {
      throw new RangeError(
        `mock upstream: mode must be "upstream" or "demo", got ${JSON.stringify(patch.mode)}`,
      );
    }
    // A reply left at the old mode's default follows the mode; one set by the caller stays.
    if (base.reply === defaultReply(base.mode)) next.reply = defaultReply(patch.mode);
    next.mode = patch.mode;
  }
  if (patch.reply !== undefined) next.reply = patch.reply;
  if (patch.retryAfterSeconds !== undefined) {
    next.retryAfterSeconds = integer('retryAfterSeconds', patch.retryAfterSeconds, 0);
  }
  if (patch.recordLimit !== undefined) {
    next.recordLimit = integer('recordLimit', patch.recordLimit, 0);
  }
  if (patch.errorResponse !== undefined) next.errorResponse = errorResponse(patch.errorResponse);
  if (patch.refuseFields !== undefined) {
    const fields = [...patch.refuseFields];
    if (fields.some((field) => typeof field !== 'string' || field === '')) {
      throw new RangeError('mock upstream: refuseFields must be a list of non-empty field names');
    }
    next.refuseFields = Object.freeze(fields);
  }
  return Object.freeze(next);
}

function errorResponse(value: MockErrorResponse): Readonly<MockErrorResponse> {
  const status = integer('errorResponse.status', value.status, 400);
  if (status > 599) {
    throw new RangeError(`mock upstream: errorResponse.status must be <= 599, got ${status}`);
  }
  const headers = value.headers ?? {};
  for (const [name, header] of Object.entries(headers)) {
    if (typeof header !== 'string' || !/^[a-z0-9-]+$/i.test(name)) {
      throw new RangeError(`mock upstream: errorResponse.headers.${name} must be a string`);
    }
  }
  return Object.freeze({ ...value, status, headers: { ...headers } });
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`mock upstream: ${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

function integer(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`mock upstream: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
