import { gatewayError } from '../../errors.js';

/**
 * Parses a JSON request body and bounds its nesting. Depth matters beyond memory: serializing
 * a deeply nested body again for the upstream recurses, so an unbounded depth is a crash.
 * `__proto__` and `constructor.prototype` keys are refused (prototype poisoning).
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
  checkShape(value, maxDepth);
  return value;
}

function checkShape(root: unknown, maxDepth: number): void {
  // Iterative walk: a recursive one would itself overflow the stack on hostile input.
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth) {
      throw gatewayError(
        'request.invalid_parameter',
        `The JSON body nests deeper than ${maxDepth} levels (limits.maxJsonDepth).`,
      );
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__' || (key === 'constructor' && isPrototypeHolder(value))) {
        throw gatewayError(
          'request.invalid_parameter',
          `The JSON body contains a forbidden key "${key}".`,
        );
      }
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
}

function isPrototypeHolder(value: object): boolean {
  const candidate = (value as Record<string, unknown>)['constructor'];
  return typeof candidate === 'object' && candidate !== null && 'prototype' in candidate;
}
