import type { Usage } from '../types.js';
import { isObject } from '../http/faults.js';

/**
 * Usage from an OpenAI-format `usage` object, or undefined when absent or implausible. Metering
 * trusts these numbers, so anything that is not a non-negative integer is ignored rather than
 * guessed at (the meter then falls back to its own estimate).
 */
export function openAIUsage(value: unknown): Usage | undefined {
  if (!isObject(value)) return undefined;
  const prompt = count(value.prompt_tokens);
  const completion = count(value.completion_tokens) ?? (prompt === undefined ? undefined : 0);
  if (prompt === undefined || completion === undefined) return undefined;
  const total = count(value.total_tokens) ?? prompt + completion;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: total };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
