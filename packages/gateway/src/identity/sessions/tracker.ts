import type { Principal } from '../../pipeline/exchange.js';
import type { DeviceRecord, SessionRecord, SessionRepository } from './repository.js';

export interface TrackerLogger {
  warn(fields: object, message: string): void;
}

export interface SessionTrackerOptions {
  /** A key is written at most once per this many ms (default 60 000). */
  readonly throttleMs?: number;
  /** Longest a sighting waits before its batch is written (default 1 000 ms). */
  readonly flushIntervalMs?: number;
  /** Rows per statement (default 500). */
  readonly batchSize?: number;
  /** Most sightings waiting; beyond it new ones are dropped and counted (default 10 000). */
  readonly maxPending?: number;
  readonly logger?: TrackerLogger;
  /** Called once per failed write (a metric); never throws. */
  readonly onWriteFailed?: () => void;
}

export interface TrackerStats {
  readonly written: number;
  readonly failedWrites: number;
  readonly dropped: number;
}

/** Above this many throttled keys the throttle forgets them all: a few extra writes, no growth. */
const MAX_THROTTLED = 200_000;

/**
 * Records the devices and sessions the authenticate path sees without a database write per
 * request: each device key and session is queued at most once per `throttleMs`, and queued
 * sightings are upserted in batches in the background. `seen` is synchronous and never throws;
 * a failed write is logged (without the subject) and counted, and its keys are let through the
 * throttle again so a later request records them. So `last_seen_at` is accurate to about
 * `throttleMs` plus `flushIntervalMs`.
 */
export class SessionTracker {
  readonly #repository: SessionRepository;
  readonly #throttleMs: number;
  readonly #batchSize: number;
  readonly #maxPending: number;
  readonly #logger: TrackerLogger | undefined;
  readonly #onWriteFailed: (() => void) | undefined;
  /** Key → when it was last queued (epoch ms). */
  readonly #throttle = new Map<string, number>();
  #devices = new Map<string, Omit<DeviceRecord, 'attestationState'>>();
  #sessions = new Map<string, SessionRecord>();
  #writing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;
  #stats = { written: 0, failedWrites: 0, dropped: 0 };

  constructor(repository: SessionRepository, options: SessionTrackerOptions = {}) {
    this.#repository = repository;
    this.#throttleMs = options.throttleMs ?? 60_000;
    this.#batchSize = options.batchSize ?? 500;
    this.#maxPending = options.maxPending ?? 10_000;
    this.#logger = options.logger;
    this.#onWriteFailed = options.onWriteFailed;
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  get stats(): TrackerStats {
    return { ...this.#stats };
  }

  /** Queues the principal's device and session unless written within `throttleMs`. */
  seen(principal: Principal, nowMs: number): void {
    const { deviceJkt: jkt, sessionId } = principal;
    if (jkt === undefined && sessionId === undefined) return;
    const tenant = principal.tenant ?? '';
    const { issuer, subject } = principal;
    if (jkt !== undefined) {
      const key = JSON.stringify(['d', tenant, issuer, subject, jkt]);
      if (this.#due(key, nowMs)) {
        this.#devices.set(key, {
          tenant,
          issuer,
          subject,
          jkt,
          firstSeenAt: nowMs,
          lastSeenAt: nowMs,
        });
      }
    }
    if (sessionId !== undefined) {
      const key = JSON.stringify(['s', tenant, issuer, subject, sessionId]);
      if (this.#due(key, nowMs)) {
        this.#sessions.set(key, {
          tenant,
          issuer,
          subject,
          sessionId,
          deviceJkt: jkt ?? null,
          firstSeenAt: nowMs,
          lastSeenAt: nowMs,
        });
      }
    }
    if (this.#devices.size + this.#sessions.size >= this.#batchSize) void this.flush();
  }

  /** Writes what is queued; resolves when written or failed (never rejects). */
  flush(): Promise<void> {
    if (this.#writing !== undefined) return this.#writing;
    if (this.#devices.size === 0 && this.#sessions.size === 0) return Promise.resolve();
    const devices = this.#devices;
    const sessions = this.#sessions;
    this.#devices = new Map();
    this.#sessions = new Map();
    this.#writing = this.#write(devices, sessions).finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  /** Stops the timer and writes what is queued. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#writing;
    await this.flush();
  }

  #due(key: string, nowMs: number): boolean {
    const last = this.#throttle.get(key);
    if (last !== undefined && nowMs - last < this.#throttleMs) return false;
    if (this.#devices.size + this.#sessions.size >= this.#maxPending) {
      this.#stats.dropped += 1;
      return false;
    }
    if (this.#throttle.size >= MAX_THROTTLED) this.#throttle.clear();
    this.#throttle.set(key, nowMs);
    return true;
  }

  async #write(
    devices: Map<string, Omit<DeviceRecord, 'attestationState'>>,
    sessions: Map<string, SessionRecord>,
  ): Promise<void> {
    await this.#writeChunks([...devices], (rows) => this.#repository.upsertDevices(rows));
    await this.#writeChunks([...sessions], (rows) => this.#repository.upsertSessions(rows));
  }

  async #writeChunks<T>(
    entries: ReadonlyArray<readonly [string, T]>,
    upsert: (rows: T[]) => Promise<void>,
  ): Promise<void> {
    for (let start = 0; start < entries.length; start += this.#batchSize) {
      const chunk = entries.slice(start, start + this.#batchSize);
      try {
        await upsert(chunk.map(([, row]) => row));
        this.#stats.written += chunk.length;
      } catch (error) {
        this.#stats.failedWrites += 1;
        for (const [key] of chunk) this.#throttle.delete(key);
        // The driver's message may quote a row (a subject): only its kind is logged.
        this.#logger?.warn(
          { error: errorKind(error), rows: chunk.length },
          'device and session registry write failed; these sightings are dropped',
        );
        try {
          this.#onWriteFailed?.();
        } catch {
          // A metric must not break the write path.
        }
      }
    }
  }
}

/** The error's class and SQLSTATE or errno code, never its message. */
function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}
