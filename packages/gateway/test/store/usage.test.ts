import { expect, it } from 'vitest';
import { describeEachEngine, usageEvent } from './engines.js';

describeEachEngine('usage repository', (fx) => {
  it('records events and reads them back newest first with the same types on every engine', async () => {
    const store = await fx.open(fx.fresh());
    const older = usageEvent({ occurredAt: 1_000, streamed: true, outcome: 'upstream.timeout' });
    const newer = usageEvent({ occurredAt: 2_000, promptTokens: null, completionTokens: null });
    await store.usage.record([older, newer]);

    const recent = await store.usage.recent(10);
    expect(recent.map(({ id: _id, ...event }) => event)).toEqual([newer, older]);
    expect(typeof recent[0]?.id).toBe('number');
    expect(recent[0]?.streamed).toBe(false);
    expect(recent[1]?.streamed).toBe(true);
  });

  it('recent(limit) returns at most limit events', async () => {
    const store = await fx.open(fx.fresh());
    await store.usage.record([1, 2, 3, 4].map((n) => usageEvent({ occurredAt: n })));
    const recent = await store.usage.recent(2);
    expect(recent.map((event) => event.occurredAt)).toEqual([4, 3]);
    expect(await store.usage.recent(0)).toEqual([]);
  });

  it('countSince counts events at or after a timestamp', async () => {
    const store = await fx.open(fx.fresh());
    await store.usage.record([100, 200, 300].map((occurredAt) => usageEvent({ occurredAt })));
    expect(await store.usage.countSince(200)).toBe(2);
    expect(await store.usage.countSince(301)).toBe(0);
    // Epoch milliseconds of today exceed 32 bits: they must survive as numbers.
    const now = Date.now();
    await store.usage.record([usageEvent({ occurredAt: now })]);
    expect(await store.usage.countSince(now)).toBe(1);
    expect((await store.usage.recent(1))[0]?.occurredAt).toBe(now);
  });

  it('a batch larger than one statement is written whole', async () => {
    const store = await fx.open(fx.fresh());
    await store.usage.record(Array.from({ length: 1_234 }, () => usageEvent()));
    expect(await store.usage.countSince(0)).toBe(1_234);
  });

  it('values one engine would reject are normalised, not a failed batch', async () => {
    const store = await fx.open(fx.fresh());
    await store.usage.record([
      usageEvent({ occurredAt: 5, requestId: 'a\u0000b', latencyMs: 12.7, promptTokens: 1e12 }),
    ]);
    const [event] = await store.usage.recent(1);
    expect(event).toMatchObject({ requestId: 'ab', latencyMs: 13, promptTokens: 2_147_483_647 });
  });
});
