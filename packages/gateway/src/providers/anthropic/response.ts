import { gatewayError } from '../../errors.js';
import { isObject } from '../http/faults.js';
import type { JsonObject, JsonResult, Usage } from '../types.js';
import { identity, wholeBlock, type Piece } from './blocks.js';

/** Anthropic Messages response → OpenAI chat.completion. */
export function fromAnthropicMessage(message: JsonObject, created: number): JsonResult {
  if (message.type !== 'message' || !Array.isArray(message.content)) {
    throw gatewayError(
      'upstream.malformed_response',
      'the upstream response is not an Anthropic message with a content array',
    );
  }
  const assistant = assemble((message.content as unknown[]).flatMap(wholeBlock));
  const tokens = anthropicTokens(message.usage);
  const usage = anthropicUsage(message.usage);
  const completion: JsonObject = {
    ...identity(message),
    object: 'chat.completion',
    created,
    choices: [
      {
        index: 0,
        message: assistant,
        logprobs: null,
        finish_reason: finishReason(message.stop_reason),
      },
    ],
  };
  if (usage !== undefined) completion.usage = openAIUsageObject(usage, tokens?.cachedInput);
  return { body: completion, usage };
}

/** Folds the pieces of every block into one assistant message (see blocks.ts). */
function assemble(pieces: readonly Piece[]): JsonObject {
  let content = '';
  let reasoning = '';
  const calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] =
    [];
  for (const piece of pieces) {
    if (piece.kind === 'content') content += piece.text;
    else if (piece.kind === 'reasoning') reasoning += piece.text;
    else if (piece.kind === 'call') {
      calls.push({ id: piece.id, type: 'function', function: { name: piece.name, arguments: '' } });
    } else {
      const call = calls.at(-1);
      if (call !== undefined) call.function.arguments += piece.json;
    }
  }
  const assistant: JsonObject = { role: 'assistant', content: content === '' ? null : content };
  if (reasoning !== '') assistant.reasoning_content = reasoning;
  assistant.refusal = null;
  if (calls.length > 0) assistant.tool_calls = calls;
  return assistant;
}

const FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReason(stopReason: unknown): string | null {
  if (typeof stopReason !== 'string') return null;
  return FINISH_REASONS[stopReason] ?? 'stop';
}

/** Token counts as Anthropic reports them; cached input counts as prompt, as OpenAI does. */
export interface AnthropicTokens {
  readonly input: number | undefined;
  readonly cachedInput: number;
  readonly output: number | undefined;
}

export function anthropicTokens(value: unknown): AnthropicTokens | undefined {
  if (!isObject(value)) return undefined;
  const cacheRead = count(value.cache_read_input_tokens) ?? 0;
  const cacheWrite = count(value.cache_creation_input_tokens) ?? 0;
  const input = count(value.input_tokens);
  return {
    input: input === undefined ? undefined : input + cacheRead + cacheWrite,
    cachedInput: cacheRead,
    output: count(value.output_tokens),
  };
}

export function anthropicUsage(value: unknown): Usage | undefined {
  const tokens = anthropicTokens(value);
  if (tokens?.input === undefined || tokens.output === undefined) return undefined;
  return toUsage(tokens.input, tokens.output);
}

export function toUsage(prompt: number, completion: number): Usage {
  return { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
}

export function openAIUsageObject(usage: Usage, cachedTokens?: number): JsonObject {
  const object: JsonObject = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
  if (cachedTokens !== undefined && cachedTokens > 0) {
    object.prompt_tokens_details = { cached_tokens: cachedTokens };
  }
  return object;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
