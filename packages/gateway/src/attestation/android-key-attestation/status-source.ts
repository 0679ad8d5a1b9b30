import { request, type Dispatcher } from 'undici';
import { indeterminate, invalid, valid, type Verdict } from '@rampart/core';
import {
  DEFAULT_STATUS_LIST_LIMITS,
  parseStatusList,
  type StatusList,
  type StatusListLimits,
  type StatusListProblem,
  type StatusListProvider,
} from './status-list.js';

/** Google's published status list. */
export const GOOGLE_STATUS_LIST_URL = 'https://android.googleapis.com/attestation/status';

export interface StatusListSourceOptions {
  /** Where the list is fetched from (default: Google's). */
  readonly url?: string;
  /** Abort a fetch that has not completed in this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Fetch again this often, in milliseconds, once started (default one hour). */
  readonly refreshIntervalMs?: number;
  /**
   * A list fetched longer ago than this, in milliseconds, is no longer used: `current` is then
   * indeterminate, and the stage fails closed unless its policy says otherwise (default 24 hours).
   */
  readonly maxAgeMs?: number;
  /** Size and entry bounds of the document (default DEFAULT_STATUS_LIST_LIMITS). */
  readonly limits?: StatusListLimits;
  /** Milliseconds since the epoch (default Date.now); injected by tests. */
  readonly clock?: () => number;
}

export type FetchProblem = StatusListProblem | 'status_list_unreachable';

/** A status list provider that fetches, caches and refreshes the list over HTTP(S). */
export interface StatusListSource extends StatusListProvider {
  /**
   * Fetches the list once. A good list replaces the cached one; on any failure the cached list is
   * kept (it ages out through `maxAgeMs`). Never throws.
   */
  refresh(): Promise<Verdict<StatusList, FetchProblem>>;
  /** Fetches now and then every `refreshIntervalMs` (the timer does not keep the process alive). */
  start(): void;
  /** Stops the periodic refresh. */
  stop(): void;
  /** When the cached list was fetched (ms since the epoch), if there is one. */
  readonly fetchedAt: number | undefined;
}

/** Drops a body we will not read; undici reports that as an AbortError, expected here. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.once('error', () => undefined);
  body.destroy();
}

async function fetchBounded(
  url: string,
  timeoutMs: number,
  maxBytes: number,
): Promise<Verdict<Uint8Array, FetchProblem>> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(url, {
      method: 'GET',
      signal,
      headers: { accept: 'application/json' },
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return indeterminate('status_list_unreachable', `HTTP ${response.statusCode}`);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      discard(response.body);
      return invalid('too_large', `status list over ${maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      received += buffer.length;
      if (received > maxBytes) {
        discard(response.body);
        return invalid('too_large', `status list over ${maxBytes} bytes`);
      }
      chunks.push(buffer);
    }
    return valid(new Uint8Array(Buffer.concat(chunks)));
  } catch (error) {
    const reason = signal.aborted ? 'timed out' : error instanceof Error ? error.name : 'failed';
    return indeterminate('status_list_unreachable', reason);
  }
}

/**
 * Creates a status list source. Nothing is fetched until `refresh` or `start` is called; until a
 * list arrives, `current` is indeterminate('status_list_unavailable').
 */
export function createStatusListSource(options: StatusListSourceOptions = {}): StatusListSource {
  const url = options.url ?? GOOGLE_STATUS_LIST_URL;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const refreshIntervalMs = options.refreshIntervalMs ?? 60 * 60 * 1000;
  const maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60 * 1000;
  const limits = options.limits ?? DEFAULT_STATUS_LIST_LIMITS;
  const clock = options.clock ?? Date.now;
  let cached: { list: StatusList; fetchedAt: number } | undefined;
  let timer: NodeJS.Timeout | undefined;

  const refresh = async (): Promise<Verdict<StatusList, FetchProblem>> => {
    const startedAt = clock();
    const body = await fetchBounded(url, timeoutMs, limits.maxBytes);
    if (body.outcome !== 'valid') return body;
    const parsed = parseStatusList(body.value, limits);
    // A slow older fetch never replaces a list fetched after it started.
    if (parsed.outcome === 'valid' && (cached === undefined || cached.fetchedAt <= startedAt)) {
      cached = { list: parsed.value, fetchedAt: startedAt };
    }
    return parsed;
  };

  return {
    refresh,
    start() {
      if (timer !== undefined) return;
      void refresh();
      timer = setInterval(() => void refresh(), refreshIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
    get fetchedAt() {
      return cached?.fetchedAt;
    },
    current(now: number) {
      if (cached === undefined)
        return indeterminate('status_list_unavailable', 'no status list fetched yet');
      if (now - cached.fetchedAt > maxAgeMs) {
        return indeterminate(
          'status_list_unavailable',
          'the status list is older than its maximum age',
        );
      }
      return valid(cached.list);
    },
  };
}
