import { expect, it, onTestFinished, vi } from 'vitest';
import {
  UsageRecorder,
  type UsageRecorderOptions,
  type UsageWriter,
} from '../../src/store/index.js';
import { captureLogger, describeEachEngine, usageEvent } from './engines.js';

function recorderFor(target: UsageWriter | { usage: UsageWriter }, options: UsageRecorderOptions) {
  const recorder = new UsageRecorder(target, options);
  onTestFinished(() => recorder.close());
  return recorder;
}

describeEachEngine('usage recorder', (fx) => {
  it('writes buffered events when the interval elapses', async () => {
    const store = await fx.open(fx.fresh());
    const recorder = recorderFor(store, { flushIntervalMs: 20, batchSize: 1_000 });
    recorder.add(usageEvent());
    recorder.add(usageEvent());
    expect(recorder.stats.buffered).toBe(2);
    await vi.waitFor(async () => expect(await store.usage.countSince(0)).toBe(2));
    expect(recorder.stats).toMatchObject({ buffered: 0, written: 2, dropped: 0 });
  });

  it('writes as soon as a batch is full, without waiting for the interval', async () => {
    const store = await fx.open(fx.fresh());
    const recorder = recorderFor(store, { flushIntervalMs: 3_600_000, batchSize: 5 });
    for (let i = 0; i < 5; i += 1) recorder.add(usageEvent());
    await vi.waitFor(async () => expect(await store.usage.countSince(0)).toBe(5));
  });

  it('writes everything buffered on close, and counts later events as dropped', async () => {
    const store = await fx.open(fx.fresh());
    const recorder = recorderFor(store, { flushIntervalMs: 3_600_000, batchSize: 2 });
    for (let i = 0; i < 7; i += 1) recorder.add(usageEvent());
    await recorder.close();
    expect(await store.usage.countSince(0)).toBe(7);
    recorder.add(usageEvent());
    expect(recorder.stats).toMatchObject({ buffered: 0, written: 7, dropped: 1 });
  });

  it('flush() writes everything buffered now', async () => {
    const store = await fx.open(fx.fresh());
    const recorder = recorderFor(store, { flushIntervalMs: 3_600_000, batchSize: 3 });
    for (let i = 0; i < 10; i += 1) recorder.add(usageEvent());
    await recorder.flush();
    expect(await store.usage.countSince(0)).toBe(10);
  });

  it('bounds memory when the database is down: the oldest events are dropped and counted', async () => {
    const store = await fx.open(fx.fresh());
    await store.close();
    const logger = captureLogger();
    const recorder = recorderFor(store, {
      flushIntervalMs: 3_600_000,
      batchSize: 4,
      maxBuffered: 10,
      logger,
    });
    for (let i = 0; i < 25; i += 1) recorder.add(usageEvent());
    expect(recorder.stats).toMatchObject({ buffered: 10, dropped: 15 });
    await expect(recorder.flush()).rejects.toThrow();
    expect(recorder.stats).toMatchObject({
      buffered: 10,
      dropped: 15,
      written: 0,
      failedWrites: 1,
    });

    await expect(recorder.close()).resolves.toBeUndefined();
    expect(recorder.stats).toMatchObject({ buffered: 0, dropped: 25 });
    expect(
      logger.lines.some((line) => line.startsWith('error usage events lost at shutdown')),
    ).toBe(true);
  });

  it('keeps events through an outage and writes them once the database is back', async () => {
    const store = await fx.open(fx.fresh());
    let down = true;
    const flaky: UsageWriter = {
      record: (events) =>
        down ? Promise.reject(new Error('connection refused')) : store.usage.record(events),
    };
    const logger = captureLogger();
    const recorder = recorderFor(flaky, {
      flushIntervalMs: 20,
      batchSize: 2,
      maxBuffered: 100,
      logger,
    });
    for (let i = 0; i < 6; i += 1) recorder.add(usageEvent());
    await vi.waitFor(() => expect(recorder.stats.failedWrites).toBeGreaterThan(0));
    down = false;
    await vi.waitFor(async () => expect(await store.usage.countSince(0)).toBe(6));
    expect(recorder.stats.dropped).toBe(0);
    // One warning when writes start failing and one line when they resume, not one per retry.
    expect(logger.lines.filter((line) => line.startsWith('warn'))).toHaveLength(1);
    expect(logger.lines.filter((line) => line.includes('resumed'))).toHaveLength(1);
  });
});
