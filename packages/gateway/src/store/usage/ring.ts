/**
 * A bounded FIFO with O(1) push and drop-oldest: the recorder's buffer. When full, a push
 * evicts the oldest item, so memory stays bounded however long the database is away.
 */
export class BoundedQueue<T> {
  readonly #slots: Array<T | undefined>;
  #head = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be >= 1');
    this.#slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends; returns how many items were evicted to make room (0 or 1). */
  push(item: T): number {
    const evicted = this.#size === this.capacity ? 1 : 0;
    if (evicted) {
      this.#slots[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#size -= 1;
    }
    this.#slots[(this.#head + this.#size) % this.capacity] = item;
    this.#size += 1;
    return evicted;
  }

  /** Removes and returns up to `count` of the oldest items. */
  take(count: number): T[] {
    const n = Math.min(count, this.#size);
    const out: T[] = [];
    for (let i = 0; i < n; i += 1) {
      out.push(this.#slots[this.#head] as T);
      this.#slots[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
    }
    this.#size -= n;
    return out;
  }

  /**
   * Puts items back in front (they are older than anything queued). What does not fit is
   * dropped from the oldest end; returns how many were dropped.
   */
  unshift(items: readonly T[]): number {
    const room = this.capacity - this.#size;
    const kept = items.length > room ? items.slice(items.length - room) : items;
    for (let i = kept.length - 1; i >= 0; i -= 1) {
      this.#head = (this.#head - 1 + this.capacity) % this.capacity;
      this.#slots[this.#head] = kept[i];
      this.#size += 1;
    }
    return items.length - kept.length;
  }

  /** Empties the queue; returns how many items it held. */
  clear(): number {
    const n = this.#size;
    this.#slots.fill(undefined);
    this.#head = 0;
    this.#size = 0;
    return n;
  }
}
