import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageRecorder, type UsageEvent, type UsageWriter } from '../../src/store/index.js';
import { usageEvent } from './engines.js';

/** A writer that fails on demand and counts its calls: the recorder's timing, without a database. */
function fakeWriter() {
  const written: UsageEvent[] = [];
  const state = { down: false, calls: 0 };
  const writer: UsageWriter = {
    record: (events) => {
      state.calls += 1;
      if (state.down) return Promise.reject(new Error('down'));
      written.push(...events);
      return Promise.resolve();
    },
  };
  return { writer, written, state };
}

describe('usage recorder timing', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('add() is synchronous and writes nothing before the interval', async () => {
    const { writer, written } = fakeWriter();
    const recorder = new UsageRecorder(writer, { flushIntervalMs: 1_000, batchSize: 100 });
    expect(recorder.add(usageEvent())).toBeUndefined();
    await vi.advanceTimersByTimeAsync(999);
    expect(written).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(written).toHaveLength(1);
    await recorder.close();
  });

  it('while the database fails, a burst is retried on the interval, not in a tight loop', async () => {
    const { writer, state } = fakeWriter();
    state.down = true;
    const recorder = new UsageRecorder(writer, {
      flushIntervalMs: 1_000,
      batchSize: 5,
      maxBuffered: 50,
    });
    for (let i = 0; i < 5; i += 1) recorder.add(usageEvent());
    await vi.advanceTimersByTimeAsync(0);
    expect(state.calls).toBe(1);
    for (let i = 0; i < 200; i += 1) recorder.add(usageEvent());
    await vi.advanceTimersByTimeAsync(999);
    expect(state.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.calls).toBe(2);
    expect(recorder.stats).toMatchObject({ buffered: 50, dropped: 155 });

    state.down = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(recorder.stats.written).toBe(5);
    // Recovered: the next full batches follow at once, not one per interval.
    const before = Date.now();
    await vi.runAllTimersAsync();
    expect(Date.now() - before).toBeLessThan(1_000);
    expect(recorder.stats).toMatchObject({ buffered: 0, written: 50 });
    await recorder.close();
  });

  it('keeps the newest events when a failed batch no longer fits', async () => {
    const { writer, written, state } = fakeWriter();
    state.down = true;
    const recorder = new UsageRecorder(writer, {
      flushIntervalMs: 1_000,
      batchSize: 4,
      maxBuffered: 4,
    });
    const events = Array.from({ length: 4 }, (_, i) => usageEvent({ requestId: `old-${i}` }));
    for (const event of events) recorder.add(event);
    const attempt = recorder.flush().catch(() => undefined);
    recorder.add(usageEvent({ requestId: 'new-0' }));
    recorder.add(usageEvent({ requestId: 'new-1' }));
    await attempt;
    state.down = false;
    await recorder.flush();
    expect(written.map((event) => event.requestId)).toEqual(['old-2', 'old-3', 'new-0', 'new-1']);
    expect(recorder.stats.dropped).toBe(2);
    await recorder.close();
  });

  it('a writer that throws synchronously loses no events', async () => {
    let calls = 0;
    const writer: UsageWriter = {
      record: () => {
        calls += 1;
        throw new Error('sync failure');
      },
    };
    const recorder = new UsageRecorder(writer, { flushIntervalMs: 1_000 });
    recorder.add(usageEvent());
    await expect(recorder.flush()).rejects.toThrow('sync failure');
    expect(calls).toBe(1);
    expect(recorder.stats.buffered).toBe(1);
  });

  it('refuses nonsensical sizes', () => {
    const { writer } = fakeWriter();
    expect(() => new UsageRecorder(writer, { batchSize: 0 })).toThrow(RangeError);
    expect(() => new UsageRecorder(writer, { maxBuffered: 1.5 })).toThrow(RangeError);
  });
});
