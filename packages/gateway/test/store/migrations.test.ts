import { expect, it } from 'vitest';
import { isRampartError } from '@rampart/core';
import { MIGRATIONS } from '../../src/store/index.js';
import { captureLogger, describeEachEngine } from './engines.js';

describeEachEngine('migrations', (fx) => {
  it('run once on first start and are not re-run on restart', async () => {
    const settings = fx.fresh();
    const logger = captureLogger();
    const first = await fx.open(settings, logger);
    await first.close();
    const applied = await fx.exec(
      settings,
      'select name, timestamp from kysely_migration order by name',
    );
    expect(applied.map((row) => row.name)).toEqual(Object.keys(MIGRATIONS));
    expect(logger.lines.filter((line) => line.includes('database migrated'))).toHaveLength(1);

    await fx.open(settings, logger);
    expect(
      await fx.exec(settings, 'select name, timestamp from kysely_migration order by name'),
    ).toEqual(applied);
    expect(logger.lines.filter((line) => line.includes('database migrated'))).toHaveLength(1);
  });

  it('leave a usable usage_events table', async () => {
    const store = await fx.open(fx.fresh());
    expect(await store.usage.countSince(0)).toBe(0);
  });

  it('a failing migration is refused with store.migration_failed naming it', async () => {
    const settings = fx.fresh();
    await fx.exec(settings, 'create table usage_events (unrelated text)');
    const failure = await fx.open(settings).catch((error: unknown) => error);
    expect(isRampartError(failure) && failure.code).toBe('store.migration_failed');
    expect((failure as Error).message).toContain('0001_usage_events');
  });

  it('a database migrated by a newer Rampart is refused with a hint', async () => {
    const settings = fx.fresh();
    const store = await fx.open(settings);
    await store.close();
    await fx.exec(
      settings,
      "insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2099-01-01T00:00:00.000Z')",
    );
    const failure = await fx.open(settings).catch((error: unknown) => error);
    expect(isRampartError(failure) && failure.code).toBe('store.migration_failed');
    expect((failure as Error).message).toContain('newer Rampart');
  });
});
