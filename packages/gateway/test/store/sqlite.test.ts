import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isRampartError } from '@rampart/core';
import { openStore, SQLITE_FILE, SQLITE_MEMORY_URL } from '../../src/store/index.js';
import { tempDir } from '../helpers/tmp.js';

describe('sqlite store', () => {
  it('creates the data directory 0700 and the database file 0600', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = await openStore({ url: undefined, dataDir });
    onTestFinished(() => store.close());
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, SQLITE_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, `${SQLITE_FILE}-wal`)).mode & 0o777).toBe(0o600);
  });

  it('runs in WAL mode with foreign keys and a busy timeout', async () => {
    const store = await openStore({ url: undefined, dataDir: tempDir() });
    onTestFinished(() => store.close());
    const pragma = async (name: string) =>
      (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db)).rows[0];
    expect(await pragma('journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await pragma('foreign_keys')).toEqual({ foreign_keys: 1 });
    expect(await pragma('busy_timeout')).toEqual({ timeout: 5000 });
  });

  it('an unusable data directory is store.unavailable naming the path', async () => {
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const failure = await openStore({ url: undefined, dataDir: join(blocker, 'data') }).catch(
      (error: unknown) => error,
    );
    expect(isRampartError(failure) && failure.code).toBe('store.unavailable');
    expect((failure as Error).message).toContain(blocker);
  });

  it('sqlite::memory: gives a throw-away database', async () => {
    const store = await openStore({ url: SQLITE_MEMORY_URL, dataDir: '/nonexistent' });
    onTestFinished(() => store.close());
    expect(await store.usage.countSince(0)).toBe(0);
  });
});
