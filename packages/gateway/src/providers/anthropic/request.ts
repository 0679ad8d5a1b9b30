import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { invalid, unsupported } from './invalid.js';
import { translateMessages } from './messages.js';
import { translateTools, translateToolChoice } from './tools.js';

/**
 * OpenAI chat request → Anthropic Messages request.
 *
 * Every parameter is either translated, accepted because its value is the default Anthropic
 * already applies, or refused. Silently dropping one (n=3, a JSON schema, a seed) would hand the
 * client an answer that breaks the contract it asked for, with nothing to tell it why.
 */
const TRANSLATED = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'user',
  // Streaming is decided by which adapter method was called; stream_options only by whether
  // the client wants the usage chunk.
  'stream',
  'stream_options',
]);

/** Values that mean "the default": accepted and dropped because Anthropic behaves the same. */
const NEUTRAL: Readonly<Record<string, (value: unknown) => boolean>> = {
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  top_logprobs: (v) => v === 0,
  presence_penalty: (v) => v === 0,
  frequency_penalty: (v) => v === 0,
  logit_bias: (v) => isObject(v) && Object.keys(v).length === 0,
  response_format: (v) => isObject(v) && v.type === 'text',
  store: (v) => v === false,
  service_tier: (v) => v === 'auto',
};

/** Anthropic requires max_tokens; this is the budget when the client names none. */
export const DEFAULT_MAX_TOKENS = 4096;

export function toAnthropicRequest(body: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined || TRANSLATED.has(key)) continue;
    if (NEUTRAL[key]?.(value) !== true) throw unsupported(key);
  }
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
