import { RateLimiterMemory } from 'rate-limiter-flexible';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS } from '../../config/schema.js';
import { BruteForceGuard, memoryLimiters, type LimiterFactory } from './throttle.js';

const policy = {
  ...DEFAULTS.accounts.bruteForce,
  accountMaxFailures: 3,
  accountWindowSeconds: 600,
  accountBlockSeconds: 900,
  ipMaxFailures: 50,
};

afterEach(() => {
  vi.useRealTimers();
});

describe('BruteForceGuard', () => {
  it('blocks an account for the block duration after its failures, then lets it try again', async () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const guard = new BruteForceGuard(memoryLimiters, policy, 'pwd');
    for (let i = 0; i < 3; i += 1)
      expect((await guard.reserve('alice', '192.0.2.1')).ok).toBe(true);
    const blocked = await guard.reserve('alice', '192.0.2.2');
    expect(blocked).toEqual({ ok: false, retryAfterSeconds: 900 });
    vi.advanceTimersByTime(899_000);
    expect(await guard.reserve('alice', '192.0.2.3')).toEqual({ ok: false, retryAfterSeconds: 1 });
    vi.advanceTimersByTime(1_001);
    expect((await guard.reserve('alice', '192.0.2.3')).ok).toBe(true);
  });

  it('a success clears the account count and returns the IP point', async () => {
    const guard = new BruteForceGuard(memoryLimiters, { ...policy, ipMaxFailures: 2 }, 'pwd');
    for (let i = 0; i < 5; i += 1) {
      const reservation = await guard.reserve('bob', '192.0.2.9');
      expect(reservation.ok).toBe(true);
      if (reservation.ok) await reservation.succeeded();
    }
  });

  it('kinds keep separate account counts but share the IP budget', async () => {
    const shared = new BruteForceGuard(memoryLimiters, { ...policy, ipMaxFailures: 4 }, 'pwd');
    const mfa = new BruteForceGuard(memoryLimiters, policy, 'mfa', shared.ipLimiter);
    for (let i = 0; i < 2; i += 1) await shared.reserve('carol', '198.51.100.1');
    for (let i = 0; i < 2; i += 1) await mfa.reserve('acct_1', '198.51.100.1');
    expect((await mfa.reserve('acct_2', '198.51.100.1')).ok).toBe(false);
    expect((await shared.reserve('carol', '198.51.100.2')).ok).toBe(true);
  });

  it('fails closed when the counter store fails', async () => {
    const broken: LimiterFactory = (options) => {
      const limiter = new RateLimiterMemory({ ...options });
      limiter.consume = () => Promise.reject(new Error('redis down'));
      return limiter;
    };
    const guard = new BruteForceGuard(broken, policy, 'pwd');
    await expect(guard.reserve('dave', '192.0.2.1')).rejects.toThrow('redis down');
  });
});
