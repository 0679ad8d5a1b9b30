/**
 * The rate-limit headers of an answer, for the limit that constrains the request most.
 *
 * IETF (draft-ietf-httpapi-ratelimit-headers, structured fields, RFC 9651): `RateLimit-Policy`
 * lists the policy as a String item with its quota `q` and window `w` in seconds (a concurrency
 * limit has no window and says its quota unit, `qu="concurrent-requests"`); `RateLimit` gives
 * what remains, `r`, and for a window the seconds until it resets, `t`. The policy name is a
 * config name restricted to letters, digits and `. _ -` (meter-schema.ts), so it needs no
 * escaping inside the quotes.
 *
 * OpenAI's `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests` and
 * `x-ratelimit-reset-requests` (a duration such as `1s` or `6m0s`), which OpenAI's SDKs read,
 * are sent for request windows; `x-ratelimit-limit-tokens`, `x-ratelimit-remaining-tokens` and
 * `x-ratelimit-reset-tokens` for token windows; OpenAI has no header for open streams. A token
 * window's policy says its quota unit, `qu="tokens"` (not one of the draft's registered units,
 * which count requests, bytes or concurrent requests; clients that do not know it ignore it).
 */
export type LimitState =
  | {
      readonly kind: 'window' | 'tokens';
      readonly name: string;
      readonly quota: number;
      readonly windowSeconds: number;
      readonly remaining: number;
      readonly resetSeconds: number;
    }
  | {
      readonly kind: 'streams';
      readonly name: string;
      readonly quota: number;
      readonly remaining: number;
    };

export function rateLimitHeaders(state: LimitState): Record<string, string> {
  if (state.kind === 'streams') {
    return {
      'ratelimit-policy': `"${state.name}";q=${state.quota};qu="concurrent-requests"`,
      ratelimit: `"${state.name}";r=${state.remaining}`,
    };
  }
  if (state.kind === 'tokens') {
    return {
      'ratelimit-policy': `"${state.name}";q=${state.quota};w=${state.windowSeconds};qu="tokens"`,
      ratelimit: `"${state.name}";r=${state.remaining};t=${state.resetSeconds}`,
      ...openAiTokenHeaders(state),
    };
  }
  return {
    'ratelimit-policy': `"${state.name}";q=${state.quota};w=${state.windowSeconds}`,
    ratelimit: `"${state.name}";r=${state.remaining};t=${state.resetSeconds}`,
    'x-ratelimit-limit-requests': String(state.quota),
    'x-ratelimit-remaining-requests': String(state.remaining),
    'x-ratelimit-reset-requests': openAiDuration(state.resetSeconds),
  };
}

/** OpenAI's token headers for a token window's state. */
export function openAiTokenHeaders(
  state: Pick<LimitState & { kind: 'tokens' }, 'quota' | 'remaining' | 'resetSeconds'>,
): Record<string, string> {
  return {
    'x-ratelimit-limit-tokens': String(state.quota),
    'x-ratelimit-remaining-tokens': String(state.remaining),
    'x-ratelimit-reset-tokens': openAiDuration(state.resetSeconds),
  };
}

/**
 * The headers of an admitted answer: the IETF and request headers of the tightest state, and
 * OpenAI's token headers of the tightest token window besides (OpenAI sends both kinds at once).
 */
export function answerHeaders(states: readonly LimitState[]): Record<string, string> {
  const best = tightest(states);
  if (best === undefined) return {};
  const tokens = tightest(states.filter((state) => state.kind === 'tokens'));
  return {
    ...rateLimitHeaders(best),
    ...(tokens !== undefined && tokens.kind !== 'streams' ? openAiTokenHeaders(tokens) : {}),
  };
}

/** Request windows first (the headers OpenAI SDKs read first), then token windows, then streams. */
const RANK: Record<LimitState['kind'], number> = { window: 0, tokens: 1, streams: 2 };

/**
 * The most constrained of the states: a request window before a token window before a
 * concurrency limit, then the fewest remaining, then the longest wait.
 */
export function tightest(states: readonly LimitState[]): LimitState | undefined {
  let best: LimitState | undefined;
  for (const state of states) {
    if (best === undefined || tighter(state, best)) best = state;
  }
  return best;
}

function tighter(a: LimitState, b: LimitState): boolean {
  if (a.kind !== b.kind) return RANK[a.kind] < RANK[b.kind];
  if (a.remaining !== b.remaining) return a.remaining < b.remaining;
  return a.kind !== 'streams' && b.kind !== 'streams' && a.resetSeconds > b.resetSeconds;
}

/** Seconds as OpenAI writes a reset: `0s`, `45s`, `6m0s`, `1h2m3s`. */
export function openAiDuration(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}
