/**
 * Writing responses. Headers go to `writeHead` as flat arrays with no `setHeader` before them,
 * which is Node's fastest path; static bodies are Buffers prepared once.
 */
import type { ServerResponse } from 'node:http';

const JSON_TYPE = 'application/json';
const SSE_HEADERS: readonly string[] = [
  'content-type',
  'text/event-stream; charset=utf-8',
  'cache-control',
  'no-cache',
];

/** A complete response body with its headers, built once and sent many times. */
export interface Prepared {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: Buffer;
}

export function prepareJson(status: number, body: string, extra: readonly string[] = []): Prepared {
  const bytes = Buffer.from(body, 'utf8');
  return {
    status,
    headers: ['content-type', JSON_TYPE, 'content-length', String(bytes.length), ...extra],
    body: bytes,
  };
}

export function sendPrepared(res: ServerResponse, prepared: Prepared): void {
  res.writeHead(prepared.status, prepared.headers as string[]);
  res.end(prepared.body);
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, [
    'content-type',
    JSON_TYPE,
    'content-length',
    String(Buffer.byteLength(body)),
  ]);
  res.end(body);
}

/**
 * One streamed answer as wire-ready events. Content deltas are `events[firstContent]` up to
 * (not including) `events[firstTail]`; what follows closes the stream.
 */
export interface StreamPlan {
  readonly events: readonly string[];
  readonly firstContent: number;
  readonly firstTail: number;
  /** A well-framed event whose data is not JSON (fault `stream-garbage`). */
  readonly garbage: string;
  /** What ends the stream normally (`data: [DONE]` or `message_stop`). */
  readonly terminator: string;
}

export function startEventStream(res: ServerResponse): void {
  res.writeHead(200, SSE_HEADERS as string[]);
}

/**
 * Writes the events, one `write` each so that a proxy sees separate chunks. With an interval the
 * pause comes before every content delta but the first, and before the closing events: that is
 * where a real model spends its time. Without one everything is written in this tick, no timer.
 */
export function playStream(res: ServerResponse, plan: StreamPlan, intervalMs: number): void {
  startEventStream(res);
  const { events, firstContent, firstTail } = plan;
  if (intervalMs === 0) {
    for (const event of events) res.write(event);
    res.end();
    return;
  }
  for (let i = 0; i <= firstContent; i++) res.write(events[i]!);
  let next = firstContent + 1;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (next < firstTail) {
      res.write(events[next++]!);
      timer = setTimeout(tick, intervalMs);
      return;
    }
    for (; next < events.length; next++) res.write(events[next]!);
    res.end();
    timer = undefined;
  };
  timer = setTimeout(tick, intervalMs);
  // A client that leaves mid-stream (or close()) must not leave timers writing to a dead socket.
  res.once('close', () => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
