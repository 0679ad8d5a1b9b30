import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { AccountsConfig } from '../../config/accounts-schema.js';

/**
 * Brute-force protection for credential checks, on rate-limiter-flexible. Each attempt first
 * reserves one point on the client IP and one on the account (atomic in every backend, so
 * parallel guesses cannot all slip past a read-then-write check); the credential is checked
 * only when both reservations succeed. A success gives the IP point back and clears the
 * account's count; a failure keeps both. Past the limit a key is blocked for its block
 * duration, from every IP for an account.
 */

/** What a limiter needs: the same shape for the memory and the Redis backend. */
export interface LimiterOptions {
  readonly keyPrefix: string;
  readonly points: number;
  /** Seconds over which points are counted. */
  readonly duration: number;
  /** Seconds a key stays blocked once it exceeded `points`. */
  readonly blockDuration: number;
}

/**
 * Builds a limiter. The default keeps counters in this process; with `redis.url` the gateway
 * passes `redisLimiters(client)` so that every replica shares them (an attacker spreading
 * guesses over replicas meets one budget).
 */
export type LimiterFactory = (options: LimiterOptions) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory({ ...options });

/**
 * Counters in Redis (atomic per key, shared by replicas), on the gateway's one connection
 * (`redis.url`, whose key prefix applies). No in-memory fallback (`insuranceLimiter`): a Redis
 * that cannot answer fails the attempt closed instead of letting each replica count alone.
 */
export function redisLimiters(client: Redis): LimiterFactory {
  return (options) => new RateLimiterRedis({ storeClient: client, ...options });
}

export type Reservation =
  | { readonly ok: true; succeeded(): Promise<void> }
  | { readonly ok: false; readonly retryAfterSeconds: number };

export class BruteForceGuard {
  readonly #ip: RateLimiterAbstract;
  readonly #accounts: RateLimiterAbstract;

  constructor(
    factory: LimiterFactory,
    policy: AccountsConfig['bruteForce'],
    /** Separates the password and second-factor account counters (`pwd`, `mfa`, …). */
    readonly kind: string,
    ip?: RateLimiterAbstract,
  ) {
    this.#ip =
      ip ??
      factory({
        keyPrefix: 'rampart:bf:ip',
        points: policy.ipMaxFailures,
        duration: policy.ipWindowSeconds,
        blockDuration: policy.ipBlockSeconds,
      });
    this.#accounts = factory({
      keyPrefix: `rampart:bf:${kind}`,
      points: policy.accountMaxFailures,
      duration: policy.accountWindowSeconds,
      blockDuration: policy.accountBlockSeconds,
    });
  }

  /** The IP limiter, to share one IP budget across kinds of credential. */
  get ipLimiter(): RateLimiterAbstract {
    return this.#ip;
  }

  /**
   * Reserves an attempt for `account` (a username key or account id; undefined for a passkey
   * assertion whose account is not known yet) from `ip`.
   */
  async reserve(account: string | undefined, ip: string): Promise<Reservation> {
    const ipKey = ip === '' ? 'unknown' : ip;
    const fromIp = await consume(this.#ip, ipKey);
    if (fromIp !== undefined) return { ok: false, retryAfterSeconds: fromIp };
    if (account !== undefined) {
      const forAccount = await consume(this.#accounts, account);
      if (forAccount !== undefined) return { ok: false, retryAfterSeconds: forAccount };
    }
    return {
      ok: true,
      succeeded: async () => {
        await this.#ip.reward(ipKey, 1);
        if (account !== undefined) await this.#accounts.delete(account);
      },
    };
  }
}

/** Undefined when the point was taken; otherwise the seconds until the key may try again. */
async function consume(limiter: RateLimiterAbstract, key: string): Promise<number | undefined> {
  try {
    await limiter.consume(key, 1);
    return undefined;
  } catch (error) {
    // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, and with an
    // Error when its store fails: the latter propagates (fail closed, the caller's 5xx).
    if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw error;
  }
}
