import { describe, expect, it } from 'vitest';
import { isRampartError } from '@rampart/core';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/tmp.js';

/** These need no running database: they pin how a bad target fails. */
describe('store connection errors', () => {
  it('an unreachable PostgreSQL is store.unavailable naming the server, not the password', async () => {
    const failure = await openStore({
      url: 'postgres://rampart:p%40ss-hunter2@127.0.0.1:1/nowhere',
      dataDir: tempDir(),
    }).catch((error: unknown) => error);
    expect(isRampartError(failure) && failure.code).toBe('store.unavailable');
    const message = (failure as Error).message;
    expect(message).toContain('127.0.0.1:1/nowhere');
    expect(message).not.toMatch(/hunter2|p%40ss|p@ss/);
  });

  it('a malformed URL is refused without being echoed', async () => {
    const failure = await openStore({
      url: 'postgres://user:hunter2@[bad',
      dataDir: tempDir(),
    }).catch((error: unknown) => error);
    expect(isRampartError(failure) && failure.code).toBe('config.invalid');
    expect((failure as Error).message).not.toContain('hunter2');
  });

  it('a URL of another database is refused', async () => {
    const failure = await openStore({ url: 'mysql://localhost/x', dataDir: tempDir() }).catch(
      (error: unknown) => error,
    );
    expect(isRampartError(failure) && failure.code).toBe('config.invalid');
  });

  it('a schema that is not a plain identifier is refused', async () => {
    const failure = await openStore({
      url: 'postgres://127.0.0.1:1/x',
      dataDir: tempDir(),
      schema: 'x; drop table y',
    }).catch((error: unknown) => error);
    expect(isRampartError(failure) && failure.code).toBe('config.invalid');
  });
});
