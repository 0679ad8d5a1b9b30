import type { z } from 'zod';
import { gatewayError } from '../../errors.js';
import { EXTRA_PARAMETERS } from './extensions.js';

/** Most issues listed in one refusal: the answer stays small whatever the body holds. */
export const MAX_LISTED_ISSUES = 20;

interface Issue {
  readonly path: string;
  readonly message: string;
}

/**
 * Validates a decoded body, turning every problem into one `request.invalid_parameter` that
 * lists at most MAX_LISTED_ISSUES of them (and says how many there were).
 *
 * Unknown top-level parameters are counted here before the schema runs, listing only the
 * first few: handing 150,000 unknown keys to the schema made it build an issue naming every
 * one, a 7 MB answer and half a second of work. A parameter refused on purpose (`refused`)
 * says why; a vendor extension says that this model's provider does not enable it.
 */
export function validateBody<T extends z.ZodObject>(
  schema: T,
  body: unknown,
  refused: ReadonlyMap<string, string> = new Map(),
): z.output<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw gatewayError('request.invalid_parameter', 'The request body must be a JSON object.');
  }
  const known = schema.shape;
  const unknown: Issue[] = [];
  let unknownCount = 0;
  for (const key in body) {
    if (Object.hasOwn(known, key)) continue;
    unknownCount++;
    if (unknown.length < MAX_LISTED_ISSUES) {
      unknown.push({ path: clip(key), message: unknownMessage(key, refused) });
    }
  }
  if (unknownCount > 0) throw refusal(unknown, unknownCount);

  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    const path = issue.path.map(String).join('.');
    return { path: clip(path === '' ? '(body)' : path), message: clip(issue.message) };
  });
  throw refusal(listed, issues.length);
}

function unknownMessage(key: string, refused: ReadonlyMap<string, string>): string {
  const reason = refused.get(key);
  if (reason !== undefined) return `refused by this gateway: ${reason}`;
  if (Object.hasOwn(EXTRA_PARAMETERS, key)) {
    return "a vendor extension that this model's provider does not enable";
  }
  return 'unknown parameter';
}

function refusal(listed: readonly Issue[], total: number) {
  const summary = listed
    .slice(0, 3)
    .map((e) => `${e.path}: ${e.message}`)
    .join('; ');
  const more =
    total > listed.length ? ` (${total} problems, the first ${listed.length} listed)` : '';
  return gatewayError('request.invalid_parameter', `Invalid request: ${summary}${more}`, {
    extensions: { errors: listed, errorCount: total },
  });
}

/** Keys come from the client: keep them short and printable before echoing them back. */
function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
