/**
 * Remembers proof ids (DPoP `jti`) for as long as their proof could be accepted, so that each is
 * accepted once. The interface is what a shared implementation (Redis, for replicas) will
 * implement too; the in-memory one below serves a single replica.
 */
export interface ReplayCache {
  /**
   * Records `id` until `expiresAtMs`. True when it was new; false when it was already recorded
   * (a replay). Throws a RampartError when it cannot decide (fail closed).
   */
  remember(id: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/** Thrown by a cache that cannot record another id without forgetting one still live. */
export class ReplayCacheFull extends Error {
  constructor() {
    super('replay cache full');
  }
}

/**
 * A bounded in-memory replay cache. Every entry lives for the same window after it was recorded,
 * so insertion order is expiry order: expired entries are swept from the front, in amortised
 * constant time. When `maxEntries` live entries are held, a new id is refused (ReplayCacheFull)
 * rather than evicting one whose proof could still be replayed.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  remember(id: string, expiresAtMs: number, nowMs: number): boolean {
    for (const [key, expiresAt] of this.#entries) {
      if (expiresAt > nowMs) break;
      this.#entries.delete(key);
    }
    const seen = this.#entries.get(id);
    if (seen !== undefined) return false;
    if (this.#entries.size >= this.#maxEntries) throw new ReplayCacheFull();
    this.#entries.set(id, expiresAtMs);
    return true;
  }
}
