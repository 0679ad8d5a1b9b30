import { createParser, type EventSourceParser, type ParseError } from 'eventsource-parser';
import { gatewayError } from '../../errors.js';

/**
 * A bounded reader of upstream `text/event-stream` bytes (WHATWG HTML, "Server-sent events").
 * The line and field grammar is eventsource-parser's; this class adds what hostile upstream
 * bytes need around it: UTF-8 decoding across chunk boundaries, one batch of events per chunk,
 * and a bound on every event. A broken or malicious upstream may never send a line break, so
 * the parser's `maxBufferSize` refuses a partial line or pending event that outgrows
 * `maxEventSize`, and each dispatched event is checked too (an event that arrives whole inside
 * one chunk is never buffered across chunks, so the library's own bound does not see it).
 */
export interface SseEvent {
  /** The `event:` field, or `message` when the event named none. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
}

/** Large enough for any real chat chunk, small enough that a stream cannot exhaust memory. */
export const DEFAULT_MAX_EVENT_SIZE = 1024 * 1024;

const CR_LINE_BREAK = /\r\n?/g;

export class SseParser {
  readonly #maxEventSize: number;
  // Stream mode keeps a UTF-8 sequence split across chunks until its last byte arrives; invalid
  // bytes become U+FFFD rather than an exception (the JSON layer above rejects them if it matters).
  readonly #decoder = new TextDecoder('utf-8');
  readonly #parser: EventSourceParser;
  /** The events completed by the chunk being fed. */
  #batch: SseEvent[] = [];
  /**
   * Line breaks reach the parser as `\n` only. eventsource-parser 3.1 holds a final `\r` back to
   * see whether `\n` follows, but then keeps holding it while the chunks after it carry no line
   * break, and drops it at the end, so the event it closed comes late or never. Here a final
   * `\r` waits for the next text (or the end) and `\r\n` or `\r` becomes `\n`, which the standard
   * treats alike (no field can hold either character).
   */
  #heldCR = false;
  #failed = false;

  /** `maxEventSize` counts UTF-16 code units, which never exceed the event's UTF-8 byte count. */
  constructor(maxEventSize: number = DEFAULT_MAX_EVENT_SIZE) {
    this.#maxEventSize = maxEventSize;
    this.#parser = createParser({
      maxBufferSize: maxEventSize,
      onEvent: ({ event, data }) => {
        if (data.length + (event?.length ?? 0) > this.#maxEventSize) throw this.#tooLarge();
        this.#batch.push({ event: event ?? 'message', data });
      },
      // Comments, `id:`, `retry:` and unknown fields are dropped, as the standard says; only
      // an overflowing buffer is fatal.
      onError: (error: ParseError) => {
        if (error.type === 'max-buffer-size-exceeded') throw this.#tooLarge();
      },
    });
  }

  /** Feeds one chunk of bytes; returns the events it completed, in order. */
  push(chunk: Uint8Array): SseEvent[] {
    return this.#feed(this.#decoder.decode(chunk, { stream: true }));
  }

  /**
   * Ends the stream. As the standard says, an event not yet closed by a blank line (and a
   * partial line) is discarded: a cut stream must not look like a complete event.
   */
  end(): SseEvent[] {
    const events = this.#feed(this.#decoder.decode());
    if (this.#heldCR) events.push(...this.#feed('\n'));
    this.#parser.reset();
    return events;
  }

  #feed(text: string): SseEvent[] {
    if (this.#failed) {
      throw gatewayError('upstream.response_too_large', 'the upstream event stream was refused');
    }
    this.#batch = [];
    if (text.length === 0) return this.#batch;
    if (this.#heldCR) {
      this.#heldCR = false;
      text = `\r${text}`;
    }
    if (text.includes('\r')) {
      if (text.endsWith('\r')) {
        this.#heldCR = true;
        text = text.slice(0, -1);
      }
      text = text.replace(CR_LINE_BREAK, '\n');
    }
    if (text.length > 0) this.#parser.feed(text);
    return this.#batch;
  }

  #tooLarge(): Error {
    this.#failed = true;
    return gatewayError(
      'upstream.response_too_large',
      `an upstream event exceeds ${this.#maxEventSize} characters`,
    );
  }
}
