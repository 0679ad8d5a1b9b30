import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
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
 * A describe block with the Redis URL and its own key prefix; every `<prefix>*` key is deleted
 * after the block (SCAN and UNLINK), so files can run in parallel and leave nothing behind.
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
  describe(name, () => {
    afterAll(() => deleteKeys(url, prefix));
    fn(url, prefix);
  });
}

/** Deletes every key that starts with `prefix` (a glob-free prefix: letters, digits, `:`). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
