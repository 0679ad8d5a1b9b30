import { expect, it } from 'vitest';
import { isRampartError } from '@rampart/core';
import { describeEachEngine, usageEvent } from './engines.js';

describeEachEngine('store lifecycle', (fx) => {
  it('reports its engine and answers ping while open', async () => {
    const store = await fx.open(fx.fresh());
    expect(store.engine).toBe(fx.engine);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('ping fails with store.unavailable once closed, and close is idempotent', async () => {
    const store = await fx.open(fx.fresh());
    await store.close();
    await store.close();
    const failure = await store.ping().catch((error: unknown) => error);
    expect(isRampartError(failure) && failure.code).toBe('store.unavailable');
  });

  it('data survives a restart', async () => {
    const settings = fx.fresh();
    const first = await fx.open(settings);
    await first.usage.record([usageEvent({ requestId: 'kept' })]);
    await first.close();
    const second = await fx.open(settings);
    expect((await second.usage.recent(1))[0]?.requestId).toBe('kept');
  });

  it('shows no connection secret when serialised', async () => {
    const store = await fx.open(fx.fresh());
    const shown = JSON.parse(JSON.stringify(store)) as Record<string, unknown>;
    expect(Object.keys(shown).sort()).toEqual(['engine', 'target']);
    expect(shown.engine).toBe(fx.engine);
  });
});
