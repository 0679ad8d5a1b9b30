import type { StoreLogger } from '../log.js';
import type { UsageEvent } from './event.js';
import type { UsageWriter } from './repository.js';
import { BoundedQueue } from './ring.js';

export interface UsageRecorderOptions {
  readonly logger?: StoreLogger;
  /** Longest an event waits in memory before a write is attempted (default 1000 ms). */
  readonly flushIntervalMs?: number;
  /** Events per write; a full batch is written at once (default 500). */
  readonly batchSize?: number;
  /** Most events held while the database is slow or away; beyond it the oldest are dropped (default 10 000). */
  readonly maxBuffered?: number;
}

/** Monotonic counters (and one gauge, `buffered`) for metrics and health reports. */
export interface UsageRecorderStats {
  readonly buffered: number;
  readonly written: number;
  readonly dropped: number;
  readonly failedWrites: number;
}

/**
 * The request path's side of usage recording: `add()` is synchronous and O(1), and writes
 * happen behind it in batches, every `flushIntervalMs` or as soon as `batchSize` events wait.
 * When the database fails, events stay buffered and are retried on the interval (never in a
 * tight loop); the buffer is bounded, and what falls off it is counted in `stats.dropped`
 * rather than growing the heap until the process dies.
 */
export class UsageRecorder {
  readonly #writer: UsageWriter;
  readonly #logger: StoreLogger | undefined;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #queue: BoundedQueue<UsageEvent>;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #writing: Promise<WriteOutcome> | undefined;
  #failing = false;
  #closing: Promise<void> | undefined;
  #written = 0;
  #dropped = 0;
  #failedWrites = 0;

  /** `target` is a Store (its usage repository is used) or any UsageWriter. */
  constructor(
    target: UsageWriter | { readonly usage: UsageWriter },
    options: UsageRecorderOptions = {},
  ) {
    this.#writer = 'usage' in target ? target.usage : target;
    this.#logger = options.logger;
    this.#intervalMs = positive(options.flushIntervalMs, 1_000, 'flushIntervalMs');
    this.#batchSize = positive(options.batchSize, 500, 'batchSize');
    this.#queue = new BoundedQueue(positive(options.maxBuffered, 10_000, 'maxBuffered'));
  }

  get stats(): UsageRecorderStats {
    return {
      buffered: this.#queue.size,
      written: this.#written,
      dropped: this.#dropped,
      failedWrites: this.#failedWrites,
    };
  }

  /** Hot path: never awaits, never throws. After close() events are counted as dropped. */
  add(event: UsageEvent): void {
    if (this.#closing) {
      this.#dropped += 1;
      return;
    }
    this.#dropped += this.#queue.push(event);
    // While the database fails only the interval retries, so a burst cannot hammer it.
    if (this.#queue.size >= this.#batchSize && !this.#failing) this.#writeSoon();
    else this.#timer ??= setTimeout(() => this.#tick(), this.#intervalMs).unref();
  }

  /**
   * Writes everything buffered now. Rejects with the database's error if a write fails; the
   * events not written stay buffered for the next attempt.
   */
  async flush(): Promise<void> {
    while (this.#queue.size > 0 || this.#writing) {
      if (this.#writing) {
        await this.#writing;
        continue;
      }
      const outcome = await this.#writeBatch();
      if (!outcome.ok) throw outcome.error;
    }
  }

  /**
   * Graceful shutdown: stops the timers and writes what is buffered. Never rejects — events
   * that cannot be written are logged as a count and added to `stats.dropped`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#cancelTimers();
      try {
        await this.flush();
      } catch {
        const lost = this.#queue.clear();
        this.#dropped += lost;
        this.#logger?.error({ lost }, 'usage events lost at shutdown: the database is unavailable');
      }
    })();
    return this.#closing;
  }

  #writeSoon(): void {
    this.#immediate ??= setImmediate(() => {
      this.#immediate = undefined;
      void this.#drain();
    });
  }

  #tick(): void {
    this.#timer = undefined;
    void this.#drain();
  }

  /** Background writes: one batch at a time; more batches only while the database keeps up. */
  async #drain(): Promise<void> {
    if (this.#writing || this.#closing) return;
    const outcome = await this.#writeBatch();
    if (this.#closing || this.#queue.size === 0) return;
    if (outcome.ok && this.#queue.size >= this.#batchSize) this.#writeSoon();
    else this.#timer ??= setTimeout(() => this.#tick(), this.#intervalMs).unref();
  }

  /** Writes one batch; resolves with the outcome instead of rejecting, so none is forgotten. */
  async #writeBatch(): Promise<WriteOutcome> {
    const batch = this.#queue.take(this.#batchSize);
    if (batch.length === 0) return { ok: true };
    // Through then() so that a writer throwing synchronously is a failed write, not lost events.
    const attempt: Promise<WriteOutcome> = Promise.resolve()
      .then(() => this.#writer.record(batch))
      .then(
        () => {
          this.#succeeded(batch.length);
          return { ok: true };
        },
        (error: unknown) => {
          this.#failed(batch, error);
          return { ok: false, error };
        },
      );
    this.#writing = attempt;
    try {
      return await attempt;
    } finally {
      this.#writing = undefined;
    }
  }

  #succeeded(count: number): void {
    this.#written += count;
    if (this.#failing) {
      this.#failing = false;
      this.#logger?.info({ dropped: this.#dropped }, 'usage recording resumed');
    }
  }

  #failed(batch: readonly UsageEvent[], error: unknown): void {
    this.#failedWrites += 1;
    this.#dropped += this.#queue.unshift(batch);
    // Logged when recording starts failing, not on every retry.
    if (!this.#failing) {
      this.#failing = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.#logger?.warn(
        { reason, buffered: this.#queue.size },
        'usage events cannot be written; buffering and retrying',
      );
    }
  }

  #cancelTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
}

type WriteOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
}
