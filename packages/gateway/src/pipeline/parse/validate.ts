import type { z } from 'zod';
import { gatewayError } from '../../errors.js';

/** Validates a parsed body, turning every issue into one `request.invalid_parameter` listing them. */
export function validateBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw gatewayError('request.invalid_parameter', 'The request body must be a JSON object.');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const errors = result.error.issues.slice(0, 20).flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: clip(path === '' ? key : `${path}.${key}`),
        message: 'unknown parameter',
      }));
    }
    return [{ path: clip(path === '' ? '(body)' : path), message: issue.message }];
  });
  const summary = errors
    .slice(0, 3)
    .map((e) => `${e.path}: ${e.message}`)
    .join('; ');
  throw gatewayError('request.invalid_parameter', `Invalid request: ${summary}`, {
    extensions: { errors },
  });
}

/** Keys come from the client: keep them short and printable before echoing them back. */
function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
