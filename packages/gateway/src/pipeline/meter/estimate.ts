import { countTokens } from 'gpt-tokenizer';
import type { JsonObject } from '../../providers/types.js';
import type { ParsedRequest } from '../exchange.js';

/**
 * Characters of request text counted with the tokenizer; the rest is estimated at four
 * characters a token. Tokenizing is linear but not free (about a microsecond per few
 * characters), so a huge prompt costs a bounded amount of gateway work to estimate.
 */
export const COUNTED_CHARS = 64_000;

/** Characters per token assumed beyond COUNTED_CHARS: OpenAI's rule of thumb for English. */
const CHARS_PER_TOKEN = 4;

/** Tokens OpenAI adds around each chat message (role and separators), roughly. */
const TOKENS_PER_MESSAGE = 4;

/** A request's token estimate: what the prompt is, and the most the answer may add. */
export interface TokenEstimate {
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

/**
 * Estimates the tokens a request will use, before the upstream reports them: the prompt counted
 * with gpt-tokenizer (o200k_base, the encoding of OpenAI's current models; other models' own
 * tokenizers differ by some per cent, which reconciliation corrects) over the text of messages
 * (string content, text parts, tool calls' arguments), the tool and function definitions as JSON
 * and, for embeddings, the input; plus the output allowance: `max_completion_tokens` or
 * `max_tokens` as sent upstream (after caps), else `defaultOutputTokens`, times `n`. Embeddings
 * have no output. Token-id inputs count one token per id. Only the first COUNTED_CHARS
 * characters are tokenized; the rest counts at four characters a token.
 */
export function estimateTokens(
  request: ParsedRequest,
  upstreamBody: JsonObject | undefined,
  defaultOutputTokens: number,
): TokenEstimate {
  const counter = new BoundedCounter();
  if (request.kind === 'embeddings') {
    const input = request.body.input;
    if (typeof input === 'string') counter.add(input);
    else {
      for (const item of input) {
        if (typeof item === 'string') counter.add(item);
        else if (typeof item === 'number') counter.addTokens(1);
        else counter.addTokens(item.length);
      }
    }
    const promptTokens = counter.tokens;
    return { promptTokens, outputTokens: 0, totalTokens: promptTokens };
  }
  const body = request.body;
  for (const message of body.messages) {
    counter.addTokens(TOKENS_PER_MESSAGE);
    const content = message.content;
    if (typeof content === 'string') counter.add(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = (part as Record<string, unknown>)['text'];
        if (typeof text === 'string') counter.add(text);
      }
    }
    for (const call of message.tool_calls ?? []) {
      const fn = (call as Record<string, unknown>)['function'];
      if (typeof fn === 'object' && fn !== null) {
        const args = (fn as Record<string, unknown>)['arguments'];
        if (typeof args === 'string') counter.add(args);
      }
    }
  }
  // Definitions are bounded by the parse stage's body size; their JSON is what the model reads.
  for (const tool of body.tools ?? []) counter.add(JSON.stringify(tool));
  for (const fn of body.functions ?? []) counter.add(JSON.stringify(fn));
  const promptTokens = counter.tokens;
  const outputTokens = outputAllowance(upstreamBody, defaultOutputTokens) * choices(upstreamBody);
  return { promptTokens, outputTokens, totalTokens: promptTokens + outputTokens };
}

/** The output bound sent upstream: `max_completion_tokens` first (it wins at OpenAI), then `max_tokens`. */
function outputAllowance(upstream: JsonObject | undefined, fallback: number): number {
  for (const parameter of ['max_completion_tokens', 'max_tokens']) {
    const value = upstream?.[parameter];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  }
  return fallback;
}

function choices(upstream: JsonObject | undefined): number {
  const n = upstream?.['n'];
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/** Counts text with the tokenizer until COUNTED_CHARS are spent, then at four characters a token. */
class BoundedCounter {
  tokens = 0;
  private budget = COUNTED_CHARS;

  add(text: string): void {
    if (text.length === 0) return;
    const counted = text.length <= this.budget ? text : text.slice(0, this.budget);
    if (counted.length > 0) {
      // Special-token text (`<|endoftext|>`) is ordinary text here, as the upstream reads it.
      this.tokens += countTokens(counted, { disallowedSpecial: new Set() });
      this.budget -= counted.length;
    }
    this.tokens += Math.ceil((text.length - counted.length) / CHARS_PER_TOKEN);
  }

  addTokens(count: number): void {
    this.tokens += count;
  }
}
