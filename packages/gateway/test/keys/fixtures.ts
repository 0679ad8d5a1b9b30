import { join } from 'node:path';
import { KEY_NAMES, type KeyName } from '../../src/keys/index.js';

/** A clock tests move by hand: expiry is tested without waiting. */
export function manualClock(start = Date.parse('2025-01-01T00:00:00.000Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export const DAY = 24 * 60 * 60 * 1000;

export function keyFile(dataDir: string, name: KeyName): string {
  return join(dataDir, 'keys', `${name}.json`);
}

export const ALL_KEYS = KEY_NAMES;

/** Runs `fn`, expecting a rejection; returns it for inspection. */
export async function failureOf(fn: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure, got success');
}
