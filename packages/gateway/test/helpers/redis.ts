import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import { serviceUrl, skipReason } from './services.js';

const VARIABLE = 'RAMPART_TEST_REDIS_URL';
const EXAMPLE = 'redis://127.0.0.1:6379/0';

/** The Redis URL for tests, or undefined (skip); throws under CI=true when unset. */
export function testRedisUrl(): string | undefined {
  return serviceUrl(VARIABLE, 'Redis', EXAMPLE);
}

/** A key prefix no other test file uses, so that files can run in parallel on one Redis. */
export function testRedisPrefix(): string {
  return `rampart-test:${randomBytes(6).toString('hex')}:`;
}

/**
 * A describe block with the Redis URL and its own key prefix. Keys written by tests should
 * carry a TTL: there is no Redis client in the workspace yet to delete them afterwards (when
 * one arrives, an afterAll here will SCAN and UNLINK `<prefix>*`).
 * Without RAMPART_TEST_REDIS_URL the block's tests are registered as skipped, with the reason.
 */
export function describeWithRedis(name: string, fn: (url: string, prefix: string) => void): void {
  const url = testRedisUrl();
  if (url === undefined) {
    const reason = skipReason(name, VARIABLE, EXAMPLE);
    describe.skip(`${name} (skipped: ${reason})`, () => fn('', 'rampart-test:skipped:'));
    return;
  }
  const prefix = testRedisPrefix();
  describe(name, () => fn(url, prefix));
}
