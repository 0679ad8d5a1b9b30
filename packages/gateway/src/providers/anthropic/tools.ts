import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { invalid, unsupported } from './invalid.js';

/** OpenAI function tools → Anthropic tools: `{name, description, input_schema}`. */
export function translateTools(tools: unknown): JsonObject[] {
  if (!Array.isArray(tools)) throw invalid('tools', 'must be an array');
  return tools.map((tool: unknown, i) => {
    const path = `tools[${i}]`;
    if (!isObject(tool)) throw invalid(path, 'must be an object');
    if (tool.type !== 'function') {
      throw unsupported(`${path}.type=${typeof tool.type === 'string' ? tool.type : '?'}`);
    }
    const fn = tool.function;
    if (!isObject(fn) || typeof fn.name !== 'string') {
      throw invalid(`${path}.function.name`, 'must be a string');
    }
    // Strict schema adherence is a guarantee Anthropic's tools do not give.
    if (fn.strict === true) throw unsupported(`${path}.function.strict`);
    const schema = fn.parameters ?? { type: 'object', properties: {} };
    if (!isObject(schema)) throw invalid(`${path}.function.parameters`, 'must be an object');
    const translated: JsonObject = { name: fn.name, input_schema: schema };
    if (typeof fn.description === 'string') translated.description = fn.description;
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
    throw unsupported(`tool_choice.type=${typeof choice.type === 'string' ? choice.type : '?'}`);
  } else {
    throw invalid('tool_choice', "must be 'auto', 'required', 'none' or a function choice");
  }
  if (parallel === false && translated?.type !== 'none') {
    translated = { ...(translated ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return translated;
}
