import { scan } from 'secure-json-parse';
import { gatewayError } from '../../errors.js';
import { checkJsonShape, type JsonShapeBounds } from './json-shape.js';

const POISON = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Parses a JSON request body whose shape is bounded first (json-shape.ts: nesting depth and
 * members per object, checked on the text before anything is built). Depth matters beyond
 * memory: serializing a deeply nested body again for the upstream recurses, so an unbounded
 * depth is a crash.
 * `__proto__` and `constructor.prototype` keys are refused (prototype poisoning) by
 * secure-json-parse, Fastify's own guard, once the depth is known to be bounded.
 */
export function parseJsonBody(text: string, bounds: JsonShapeBounds): unknown {
  if (text.length === 0) throw gatewayError('request.malformed_json', 'The request body is empty.');
  checkJsonShape(text, bounds);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message.slice(0, 200) : 'not JSON';
    throw gatewayError('request.malformed_json', `The request body is not valid JSON: ${reason}`);
  }
  if (typeof value === 'object' && value !== null) {
    try {
      scan(value, POISON);
    } catch {
      // Its only error on a parsed value: a `__proto__` key, or a `constructor` with a `prototype`.
      throw gatewayError(
        'request.invalid_parameter',
        'The JSON body contains a forbidden key ("__proto__" or "constructor.prototype").',
      );
    }
  }
  return value;
}
