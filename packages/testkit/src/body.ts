/** Reading and parsing request bodies, bounded so that a runaway client cannot exhaust memory. */
import type { IncomingMessage } from 'node:http';

/**
 * Collects the body as UTF-8 text (undefined when empty). Past `limit` bytes it keeps reading
 * but stops storing, so the client finishes sending and can read the 413 instead of a broken pipe.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (raw: string | undefined, tooLarge: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > limit) {
      tooLarge = true;
      chunks.length = 0;
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (tooLarge) return done(undefined, true);
    if (size === 0) return done(undefined, false);
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    done(bytes.toString('utf8'), false);
  });
}

export interface ParsedBody {
  /** Parsed JSON, the raw text when it is not JSON, or undefined when there was no body. */
  readonly value: unknown;
  readonly json: boolean;
}

export function parseBody(raw: string | undefined): ParsedBody {
  if (raw === undefined) return { value: undefined, json: false };
  try {
    return { value: JSON.parse(raw) as unknown, json: true };
  } catch {
    return { value: raw, json: false };
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
