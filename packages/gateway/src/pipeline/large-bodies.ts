/**
 * Large request bodies are decoded one per event-loop turn. Turning a body into text and
 * decoding it blocks the event loop for about 2 ms per MiB, and everything that follows in the
 * same turn (validation, serialising the body again for the upstream) adds as much again.
 * Bodies that finish arriving together would be decoded back to back in one turn: eight 27 MiB
 * photos held every other request, `/healthz` included, for up to 0.7 s. Taking one per turn
 * lets the I/O that arrived in between go first, so a small request waits for at most one
 * body's work (about 0.15–0.3 s for 27 MiB on a loaded 2-core machine), not for all of them.
 * It bounds the wait; it does not shorten the work, which stays on the main thread.
 */
export const LARGE_BODY_BYTES = 1024 * 1024;

export interface TurnQueue {
  /** Runs `task` in a later turn of the event loop, at most one queued task per turn. */
  run(task: () => void): void;
}

export function createTurnQueue(): TurnQueue {
  const queue: Array<() => void> = [];
  let scheduled = false;
  const next = (): void => {
    const task = queue.shift();
    if (queue.length > 0) setImmediate(next);
    else scheduled = false;
    task?.();
  };
  return {
    run(task) {
      queue.push(task);
      if (!scheduled) {
        scheduled = true;
        setImmediate(next);
      }
    },
  };
}
