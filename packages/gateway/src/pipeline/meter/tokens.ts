import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/**
 * What a token window said about a request's estimate. `limited`: the estimate does not fit
 * what is left (nothing is kept of it); `failed`: the store could not answer.
 */
export type TokenCheck =
  | {
      readonly outcome: 'allowed';
      readonly remaining: number;
      readonly resetSeconds: number;
      readonly charge: TokenCharge;
    }
  | { readonly outcome: 'limited'; readonly remaining: number; readonly resetSeconds: number }
  | { readonly outcome: 'failed'; readonly error: unknown };

/** Tokens taken from one key's window for one exchange, to be settled once it ends. */
export interface TokenCharge {
  /**
   * Settles the charge with the tokens the exchange really used: gives back what was not used,
   * takes what was used beyond the charge. `undefined` (usage unknown) keeps the charge.
   * Gives nothing back to a window that has ended since (that would credit the next one).
   * Rejects when the store cannot answer; the caller logs it.
   */
  settle(usedTokens: number | undefined): Promise<void>;
}

/** A token window of one limit: `tokens` per key in each fixed `windowSeconds`. */
export interface TokenCounter {
  /** Takes `estimate` tokens from `key`'s window when they fit. */
  take(key: string, estimate: number): Promise<TokenCheck>;
}

export interface TokenWindowOptions {
  readonly name: string;
  readonly tokens: number;
  readonly windowSeconds: number;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
}

/**
 * A token window on rate-limiter-flexible, in this process or in Redis, as request windows
 * (windows.ts): fixed windows, one atomic INCRBY per change, so replicas share the count.
 *
 * rate-limiter-flexible counts a refused consume too; a refused estimate is given back at once
 * (`reward`), so a refusal costs the client nothing, and until it is given back a concurrent
 * request of the same key may see the window fuller than it is (refused too early, never
 * admitted beyond the quota). An estimate above the whole quota is refused without counting.
 */
export function tokenCounter(options: TokenWindowOptions, redis: Redis | undefined): TokenCounter {
  const now = options.now ?? Date.now;
  const settings = {
    keyPrefix: `meter:t:${options.name}:${options.windowSeconds}`,
    points: options.tokens,
    duration: options.windowSeconds,
  };
  const limiter: RateLimiterAbstract =
    redis === undefined
      ? new RateLimiterMemory(settings)
      : new RateLimiterRedis({ ...settings, storeClient: redis, rejectIfRedisNotReady: true });

  const chargeOf = (key: string, taken: number, msBeforeNext: number): TokenCharge => {
    const windowEndsAt = now() + msBeforeNext;
    let settled = false;
    return {
      async settle(used) {
        if (settled || used === undefined) return;
        settled = true;
        const difference = Math.max(0, Math.round(used)) - taken;
        if (difference > 0) await limiter.penalty(key, difference);
        else if (difference < 0 && now() < windowEndsAt) await limiter.reward(key, -difference);
      },
    };
  };

  return {
    async take(key, estimate) {
      const points = Math.max(0, Math.ceil(estimate));
      try {
        if (points > options.tokens) {
          // Never fits: say how the window stands without counting anything.
          const res = await limiter.get(key);
          return {
            outcome: 'limited',
            remaining: res === null ? options.tokens : Math.max(0, res.remainingPoints),
            resetSeconds:
              res === null ? options.windowSeconds : Math.max(1, secondsOf(res.msBeforeNext)),
          };
        }
        const res = await limiter.consume(key, points);
        return {
          outcome: 'allowed',
          remaining: res.remainingPoints,
          resetSeconds: secondsOf(res.msBeforeNext),
          charge: chargeOf(key, points, res.msBeforeNext),
        };
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) return { outcome: 'failed', error };
        try {
          if (points > 0) await limiter.reward(key, points);
        } catch (giveBack) {
          return { outcome: 'failed', error: giveBack };
        }
        const remaining = Math.max(0, options.tokens - (error.consumedPoints - points));
        return {
          outcome: 'limited',
          remaining,
          resetSeconds: Math.max(1, secondsOf(error.msBeforeNext)),
        };
      }
    },
  };
}

/** Whole seconds, rounded up: a client that waits this long finds the window reset. */
function secondsOf(ms: number): number {
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}
