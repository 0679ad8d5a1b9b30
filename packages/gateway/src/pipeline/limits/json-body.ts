import { scan } from 'secure-json-parse';
import { gatewayError } from '../../errors.js';

const POISON = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Parses a JSON request body and bounds its nesting. Depth matters beyond memory: serializing
 * a deeply nested body again for the upstream recurses, so an unbounded depth is a crash.
 * `__proto__` and `constructor.prototype` keys are refused (prototype poisoning) by
 * secure-json-parse, Fastify's own guard, once the depth is known to be bounded.
 */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.length === 0) throw gatewayError('request.malformed_json', 'The request body is empty.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message.slice(0, 200) : 'not JSON';
    throw gatewayError('request.malformed_json', `The request body is not valid JSON: ${reason}`);
  }
  checkDepth(value, maxDepth);
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

function checkDepth(root: unknown, maxDepth: number): void {
  // Iterative walk: a recursive one would itself overflow the stack on hostile input.
  // secure-json-parse's scan is iterative too, but bounds nothing, so this runs first.
  const stack: Array<{ value: object; depth: number }> = [];
  if (typeof root === 'object' && root !== null) stack.push({ value: root, depth: 1 });
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: object; depth: number };
    if (depth > maxDepth) {
      throw gatewayError(
        'request.invalid_parameter',
        `The JSON body nests deeper than ${maxDepth} levels (limits.maxJsonDepth).`,
      );
    }
    for (const child of Object.values(value) as unknown[]) {
      if (typeof child === 'object' && child !== null) {
        stack.push({ value: child, depth: depth + 1 });
      }
    }
  }
}
