import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { invalid } from './invalid.js';
import { translateMessages } from './messages.js';
import { translateTools, translateToolChoice } from './tools.js';
import { refuseUntranslatable } from './unsupported.js';

/**
 * OpenAI chat request → Anthropic Messages request. Every parameter is translated here, or
 * accepted with its default value or refused by unsupported.ts, never silently dropped.
 */
/** Anthropic requires max_tokens; this is the budget when the client names none. */
export const DEFAULT_MAX_TOKENS = 4096;

export function toAnthropicRequest(body: JsonObject): JsonObject {
  refuseUntranslatable(body);
  if (typeof body.model !== 'string') throw invalid('model', 'must be a string');
  const { system, messages } = translateMessages(body.messages);
  const request: JsonObject = { model: body.model, max_tokens: maxTokens(body), messages };
  if (system !== undefined) request.system = system;

  const temperature = number(body.temperature, 'temperature', 2);
  // OpenAI's scale runs to 2, Anthropic's to 1; rescaling would change the meaning of every value.
  if (temperature !== undefined && temperature > 1) {
    throw invalid('temperature', 'above 1 is not supported by provider type anthropic');
  }
  if (temperature !== undefined) request.temperature = temperature;
  const topP = number(body.top_p, 'top_p', 1);
  if (topP !== undefined) request.top_p = topP;

  const stop = stopSequences(body.stop);
  if (stop !== undefined) request.stop_sequences = stop;

  const hasTools = body.tools !== undefined && body.tools !== null;
  if (hasTools) request.tools = translateTools(body.tools);
  const choice = translateToolChoice(body.tool_choice, hasTools ? body.parallel_tool_calls : null);
  // Anthropic refuses a tool_choice without tools; 'none' then means what omitting it means.
  if (choice !== undefined && (hasTools || choice.type !== 'none')) request.tool_choice = choice;

  if (typeof body.user === 'string') request.metadata = { user_id: body.user };
  else if (body.user !== undefined && body.user !== null) throw invalid('user', 'must be a string');
  return request;
}

/** Whether a streaming client asked for the final usage chunk (`stream_options.include_usage`). */
export function wantsUsage(body: JsonObject): boolean {
  return isObject(body.stream_options) && body.stream_options.include_usage === true;
}

function maxTokens(body: JsonObject): number {
  for (const key of ['max_completion_tokens', 'max_tokens'] as const) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw invalid(key, 'must be a positive integer');
    }
    return value;
  }
  return DEFAULT_MAX_TOKENS;
}

function number(value: unknown, path: string, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw invalid(path, `must be a number from 0 to ${max}`);
  }
  return value;
}

function stopSequences(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list: unknown[] = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : [0];
  if (!list.every((s): s is string => typeof s === 'string')) {
    throw invalid('stop', 'must be a string or an array of strings');
  }
  return list.length > 0 ? list : undefined;
}
