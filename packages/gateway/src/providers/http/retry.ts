/**
 * When and how long to wait before trying an upstream again.
 *
 * A chat completion is neither idempotent nor free: a retry after the upstream started work bills
 * twice and may answer twice. So only two situations are retried (decided by the caller): the
 * connection never opened, or the upstream explicitly said "not now" with a short Retry-After.
 */
export interface RetryTuning {
  /** A 429/503 is retried only when its Retry-After is at most this long. */
  readonly maxRetryAfterMs: number;
  /** First backoff after a failed connect; doubles per attempt, jittered. */
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** Injected for tests. */
  readonly random: () => number;
}

export const DEFAULT_RETRY_TUNING: RetryTuning = {
  maxRetryAfterMs: 2_000,
  backoffBaseMs: 100,
  backoffCapMs: 2_000,
  random: Math.random,
};

/** "Equal jitter": half the exponential delay is fixed, half random, so replicas spread out. */
export function connectBackoffMs(attempt: number, tuning: RetryTuning): number {
  const ceiling = Math.min(tuning.backoffCapMs, tuning.backoffBaseMs * 2 ** attempt);
  return ceiling / 2 + (tuning.random() * ceiling) / 2;
}

/** Never earlier than the upstream asked; a little later so waiting clients do not stampede. */
export function retryAfterDelayMs(retryAfterSeconds: number, tuning: RetryTuning): number {
  return retryAfterSeconds * 1000 + tuning.random() * tuning.backoffBaseMs;
}

/** Waits, but rejects with the signal's reason the moment the caller gives up. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
