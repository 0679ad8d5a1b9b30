import { gatewayError } from '../../errors.js';

/** The bounds a JSON body's structure must keep (limits.maxJsonDepth, limits.maxObjectKeys). */
export interface JsonShapeBounds {
  readonly maxDepth: number;
  readonly maxObjectKeys: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/**
 * Checks the nesting depth and the number of members of every object in JSON text, before
 * JSON.parse builds anything. One pass over the structural characters; string contents are
 * skipped with indexOf, so a 27 MiB base64 image costs one memchr-like search, not a loop per
 * character. Refusing here keeps the work for a hostile body small: 150,000 keys in one object
 * used to be parsed into a dictionary, walked twice and validated before being refused.
 *
 * Text that is not JSON is not judged here (JSON.parse reports it); the counts are of what
 * the text would build if it were.
 */
export function checkJsonShape(text: string, bounds: JsonShapeBounds): void {
  // Members seen per open container; -1 marks an array (its elements are not bounded here:
  // embeddings inputs and token arrays are long by nature, and bounded by the body size).
  const members: number[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i + 1);
      if (end < 0) return;
      i = end + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      members.push(c === OPEN_OBJECT ? 0 : -1);
      if (members.length > bounds.maxDepth) {
        throw gatewayError(
          'request.invalid_parameter',
          `The JSON body nests deeper than ${bounds.maxDepth} levels (limits.maxJsonDepth).`,
        );
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      members.pop();
    } else if (c === COLON) {
      const top = members.length - 1;
      const count = (members[top] ?? -1) + 1;
      if (count > 0) {
        members[top] = count;
        if (count > bounds.maxObjectKeys) {
          throw gatewayError(
            'request.invalid_parameter',
            `A JSON object in the body has more than ${bounds.maxObjectKeys} members (limits.maxObjectKeys).`,
          );
        }
      }
    }
    i++;
  }
}

/** Index of the quote that ends the string starting at `from`, or -1 when it never ends. */
function closingQuote(text: string, from: number): number {
  let at = from;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let k = quote - 1; k >= from && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}
