import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A stream slot held by one exchange; `release` gives it back, once (later calls do nothing). */
export interface StreamSlot {
  release(): Promise<void>;
}

export type SlotCheck =
  | { readonly outcome: 'allowed'; readonly remaining: number; readonly slot: StreamSlot }
  | { readonly outcome: 'limited' }
  | { readonly outcome: 'failed'; readonly error: unknown };

/** The open-stream counter of one `concurrentStreams` limit. */
export interface StreamSlots {
  /** Takes a slot for `key` when fewer than the limit are held, atomically. */
  acquire(key: string): Promise<SlotCheck>;
}

export interface SlotOptions {
  readonly name: string;
  readonly max: number;
  /** Redis only: how long a slot lives without renewal (a crashed replica's slots lapse). */
  readonly leaseMs: number;
}

export function streamSlots(options: SlotOptions, redis: Redis | undefined): StreamSlots {
  return redis === undefined ? memorySlots(options.max) : redisSlots(options, redis);
}

/** One count per key in this process; a key with no slot held takes no memory. */
function memorySlots(max: number): StreamSlots {
  const held = new Map<string, number>();
  return {
    acquire(key) {
      const used = held.get(key) ?? 0;
      if (used >= max) return Promise.resolve({ outcome: 'limited' });
      held.set(key, used + 1);
      let released = false;
      const slot: StreamSlot = {
        release() {
          if (released) return Promise.resolve();
          released = true;
          const now = (held.get(key) ?? 1) - 1;
          if (now <= 0) held.delete(key);
          else held.set(key, now);
          return Promise.resolve();
        },
      };
      return Promise.resolve({ outcome: 'allowed', remaining: max - used - 1, slot });
    },
  };
}

/*
 * In Redis each key is a sorted set of leases: member = one slot (a random id), score = when it
 * lapses, in Redis's own clock (TIME), so replicas' clocks never matter. Taking a slot first
 * drops lapsed leases, then adds one only while fewer than the limit remain: one script, so
 * concurrent replicas cannot both take the last slot. The holder renews its lease every third
 * of the lease time while the stream is open; a replica that crashes stops renewing, and its
 * slots lapse within one lease instead of leaking forever. The key itself expires with its
 * newest lease.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local used = redis.call('ZCARD', KEYS[1])
if used >= tonumber(ARGV[1]) then return -1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return used + 1
`;

const RENEW = `
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

interface SlotCommands {
  rampartMeterAcquire(key: string, max: string, leaseMs: string, member: string): Promise<number>;
  rampartMeterRenew(key: string, leaseMs: string, member: string): Promise<number>;
}

function redisSlots(options: SlotOptions, redis: Redis): StreamSlots {
  const client = redis as Redis & SlotCommands;
  // Defined once per client (EVALSHA, loaded on first use); keys get the client's prefix.
  if (typeof client.rampartMeterAcquire !== 'function') {
    redis.defineCommand('rampartMeterAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('rampartMeterRenew', { numberOfKeys: 1, lua: RENEW });
  }
  const prefix = `meter:s:${options.name}:`;
  const lease = String(options.leaseMs);
  return {
    async acquire(key) {
      const redisKey = prefix + key;
      const member = randomUUID();
      let used: number;
      try {
        used = await client.rampartMeterAcquire(redisKey, String(options.max), lease, member);
      } catch (error) {
        return { outcome: 'failed', error };
      }
      if (used < 0) return { outcome: 'limited' };
      // A failed renewal is retried at the next tick; if Redis stays away past the lease, the
      // slot lapses and counts as free (the stream goes on): bounded, unlike a leak.
      const renew = setInterval(
        () => void client.rampartMeterRenew(redisKey, lease, member).catch(() => undefined),
        Math.max(1, Math.floor(options.leaseMs / 3)),
      );
      renew.unref();
      let released = false;
      const slot: StreamSlot = {
        async release() {
          if (released) return;
          released = true;
          clearInterval(renew);
          await client.zrem(redisKey, member);
        },
      };
      return { outcome: 'allowed', remaining: options.max - used, slot };
    },
  };
}
