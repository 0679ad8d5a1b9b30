/** One server-sent event: `event` only when the stream named one. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Parses an event-stream body as the WHATWG EventSource algorithm does (the part tests need):
 * `event:` and `data:` fields, multi-line data joined with "\n", comments and other fields
 * ignored, an event dispatched at a blank line, and an unterminated last event dropped, so a
 * cut stream shows as missing events rather than as half of one.
 */
export function collectSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let event: string | undefined;
  let data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) {
        events.push(
          event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') },
        );
      }
      event = undefined;
      data = [];
      continue;
    }
    const colon = line.indexOf(':');
    if (colon === 0) continue;
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return events;
}
