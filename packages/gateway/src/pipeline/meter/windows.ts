import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/**
 * What one counter said about one request. `failed`: the store could not answer (Redis down or
 * too slow); the caller decides by the limit's `failOpen`, never this module.
 */
export type WindowCheck =
  | { readonly outcome: 'allowed'; readonly remaining: number; readonly resetSeconds: number }
  | { readonly outcome: 'limited'; readonly resetSeconds: number }
  | { readonly outcome: 'failed'; readonly error: unknown };

/** A request window of one limit: `requests` per key in each fixed `windowSeconds`. */
export interface WindowCounter {
  /** Counts one request for `key` (a bounded digest, keys.ts) and says whether it fits. */
  consume(key: string): Promise<WindowCheck>;
}

export interface WindowOptions {
  readonly name: string;
  readonly requests: number;
  readonly windowSeconds: number;
}

/**
 * A window on rate-limiter-flexible: in this process (`RateLimiterMemory`), or in Redis
 * (`RateLimiterRedis`: one Lua script per request — SET NX with the window's expiry, then
 * INCRBY — atomic, so replicas sharing the Redis share the count exactly). The window is fixed:
 * it starts at a key's first request and the count resets when the key expires, so a client
 * can fit up to twice `requests` around a window's end (docs/abuse-control.md).
 *
 * The key prefix carries the limit's name and window length, so that changing a limit's window
 * starts fresh counters instead of inheriting the old expiry. No insurance limiter: a Redis that
 * cannot answer is a `failed` check, not a silent switch to per-replica counting.
 */
export function windowCounter(options: WindowOptions, redis: Redis | undefined): WindowCounter {
  const settings = {
    keyPrefix: `meter:w:${options.name}:${options.windowSeconds}`,
    points: options.requests,
    duration: options.windowSeconds,
  };
  const limiter: RateLimiterAbstract =
    redis === undefined
      ? new RateLimiterMemory(settings)
      : new RateLimiterRedis({ ...settings, storeClient: redis, rejectIfRedisNotReady: true });
  return {
    async consume(key) {
      try {
        const res = await limiter.consume(key, 1);
        return {
          outcome: 'allowed',
          remaining: res.remainingPoints,
          resetSeconds: secondsOf(res.msBeforeNext),
        };
      } catch (error) {
        // Over the limit rejects with a RateLimiterRes; a store failure with an Error.
        if (error instanceof RateLimiterRes) {
          return { outcome: 'limited', resetSeconds: Math.max(1, secondsOf(error.msBeforeNext)) };
        }
        return { outcome: 'failed', error };
      }
    },
  };
}

/** Whole seconds, rounded up: a client that waits this long finds the window reset. */
function secondsOf(ms: number): number {
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}
