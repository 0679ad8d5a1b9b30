import { describe, expect, it } from 'vitest';
import { createTurnQueue } from './large-bodies.js';

describe('large bodies are decoded one per event-loop turn', () => {
  it('work queued together runs in separate turns, with what arrived in between going first', async () => {
    const queue = createTurnQueue();
    const order: string[] = [];
    queue.run(() => order.push('first body'));
    queue.run(() => order.push('second body'));
    // Queued after both bodies, as a small request arriving meanwhile would be.
    setImmediate(() => order.push('other work'));
    await new Promise<void>((resolve) => queue.run(resolve));
    expect(order).toEqual(['first body', 'other work', 'second body']);
  });
});
