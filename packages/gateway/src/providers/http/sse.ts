import { gatewayError } from '../../errors.js';

/**
 * An incremental, bounded parser for `text/event-stream` (WHATWG HTML, "Server-sent events").
 *
 * Upstream bytes are hostile input: they arrive in arbitrary chunks (a line, an event or a UTF-8
 * sequence may be split anywhere), and a broken or malicious upstream may never send a line break.
 * The parser therefore keeps at most one partial line and one pending event, and refuses an event
 * larger than `maxEventSize` instead of growing without limit.
 */
export interface SseEvent {
  /** The `event:` field, or `message` when the event named none. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
}

/** Large enough for any real chat chunk, small enough that a stream cannot exhaust memory. */
export const DEFAULT_MAX_EVENT_SIZE = 1024 * 1024;

const LINE_BREAK = /[\r\n]/g;

export class SseParser {
  readonly #maxEventSize: number;
  // Stream mode keeps a UTF-8 sequence split across chunks until its last byte arrives; invalid
  // bytes become U+FFFD rather than an exception (the JSON layer above rejects them if it matters).
  readonly #decoder = new TextDecoder('utf-8');
  #partialLine = '';
  /** A chunk ended in `\r`: a `\n` at the start of the next one belongs to the same line break. */
  #afterCR = false;
  #eventType = '';
  #dataLines: string[] = [];
  /** Characters held by the pending event's fields (the partial line is counted apart). */
  #eventSize = 0;
  #failed = false;

  /** `maxEventSize` counts UTF-16 code units, which never exceed the event's UTF-8 byte count. */
  constructor(maxEventSize: number = DEFAULT_MAX_EVENT_SIZE) {
    this.#maxEventSize = maxEventSize;
  }

  /** Feeds one chunk of bytes; returns the events it completed, in order. */
  push(chunk: Uint8Array): SseEvent[] {
    this.#assertUsable();
    return this.#feed(this.#decoder.decode(chunk, { stream: true }));
  }

  /**
   * Ends the stream. As the standard says, an event not yet closed by a blank line (and a
   * partial line) is discarded: a cut stream must not look like a complete event.
   */
  end(): SseEvent[] {
    this.#assertUsable();
    const events = this.#feed(this.#decoder.decode());
    this.#partialLine = '';
    this.#afterCR = false;
    this.#resetEvent();
    return events;
  }

  #feed(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    if (this.#afterCR && text.length > 0) {
      this.#afterCR = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    LINE_BREAK.lastIndex = start;
    for (let match = LINE_BREAK.exec(text); match !== null; match = LINE_BREAK.exec(text)) {
      const end = match.index;
      const line = this.#partialLine + text.slice(start, end);
      this.#partialLine = '';
      this.#line(line, events);
      start = end + 1;
      if (text.charCodeAt(end) === 13) {
        if (end + 1 === text.length) this.#afterCR = true;
        else if (text.charCodeAt(end + 1) === 10) start = end + 2;
      }
      LINE_BREAK.lastIndex = start;
    }
    if (start < text.length) {
      this.#partialLine += text.slice(start);
      this.#checkSize();
    }
    return events;
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.#dataLines.length > 0) {
        events.push({ event: this.#eventType || 'message', data: this.#dataLines.join('\n') });
      }
      this.#resetEvent();
      return;
    }
    // Comments, `id:`, `retry:` and unknown fields are dropped without counting towards the
    // event, so keep-alive comments cannot trip the bound.
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    if (field === 'data') {
      this.#dataLines.push(value);
      this.#eventSize += value.length + 1;
    } else if (field === 'event') {
      this.#eventSize += value.length - this.#eventType.length;
      this.#eventType = value;
    }
    this.#checkSize();
  }

  #resetEvent(): void {
    this.#eventType = '';
    this.#dataLines = [];
    this.#eventSize = 0;
  }

  #checkSize(): void {
    if (this.#eventSize + this.#partialLine.length > this.#maxEventSize) {
      this.#failed = true;
      throw gatewayError(
        'upstream.response_too_large',
        `an upstream event exceeds ${this.#maxEventSize} characters`,
      );
    }
  }

  #assertUsable(): void {
    if (this.#failed) {
      throw gatewayError('upstream.response_too_large', 'the upstream event stream was refused');
    }
  }
}
