import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { invalid, notSupported } from './invalid.js';
import { cacheControl, onlyKnown } from './parts.js';

/**
 * OpenAI function tools → Anthropic tools: `{name, description, input_schema}`. Like content
 * parts, a tool may carry Anthropic's `cache_control` marker; any other field is refused.
 */
export function translateTools(tools: unknown): JsonObject[] {
  if (!Array.isArray(tools)) throw invalid('tools', 'must be an array');
  return tools.map((tool: unknown, i) => {
    const path = `tools.${i}`;
    if (!isObject(tool)) throw invalid(path, 'must be an object');
    if (tool.type !== 'function') {
      throw notSupported(`${path}.type`, 'only function tools are supported');
    }
    onlyKnown(tool, ['type', 'function', 'cache_control'], path);
    const fn = tool.function;
    if (!isObject(fn) || typeof fn.name !== 'string') {
      throw invalid(`${path}.function.name`, 'must be a string');
    }
    onlyKnown(fn, ['name', 'description', 'parameters', 'strict'], `${path}.function`);
    // Strict schema adherence is a guarantee Anthropic's tools do not give.
    if (fn.strict === true) throw notSupported(`${path}.function.strict`);
    const schema = fn.parameters ?? { type: 'object', properties: {} };
    if (!isObject(schema)) throw invalid(`${path}.function.parameters`, 'must be an object');
    const translated: JsonObject = { name: fn.name, input_schema: schema };
    if (typeof fn.description === 'string') translated.description = fn.description;
    else if (fn.description !== undefined && fn.description !== null) {
      throw invalid(`${path}.function.description`, 'must be a string');
    }
    const marker = cacheControl(tool.cache_control, `${path}.cache_control`);
    if (marker !== undefined) translated.cache_control = marker;
    return translated;
  });
}

/**
 * OpenAI `tool_choice` (+ `parallel_tool_calls`) → Anthropic `tool_choice`.
 * 'required' is Anthropic's 'any'; a named function is `{type: 'tool', name}`.
 */
export function translateToolChoice(choice: unknown, parallel: unknown): JsonObject | undefined {
  if (parallel !== undefined && parallel !== null && typeof parallel !== 'boolean') {
    throw invalid('parallel_tool_calls', 'must be a boolean');
  }
  let translated: JsonObject | undefined;
  if (choice === undefined || choice === null) translated = undefined;
  else if (choice === 'auto') translated = { type: 'auto' };
  else if (choice === 'required') translated = { type: 'any' };
  else if (choice === 'none') translated = { type: 'none' };
  else if (isObject(choice) && choice.type === 'function') {
    const name = isObject(choice.function) ? choice.function.name : undefined;
    if (typeof name !== 'string') throw invalid('tool_choice.function.name', 'must be a string');
    translated = { type: 'tool', name };
  } else if (isObject(choice)) {
    throw notSupported('tool_choice.type', 'only function tool choices are supported');
  } else {
    throw invalid('tool_choice', "must be 'auto', 'required', 'none' or a function choice");
  }
  if (parallel === false && translated?.type !== 'none') {
    translated = { ...(translated ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return translated;
}
