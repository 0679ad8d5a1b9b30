import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh private directory (mode 0700) for the calling test, removed when it finishes. Call it
 * inside a test; cleanups registered after it (a store's close) run before the removal.
 */
export function tempDir(prefix = 'rampart-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
