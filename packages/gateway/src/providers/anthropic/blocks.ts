import { gatewayError } from '../../errors.js';
import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';

/**
 * The one translation of Anthropic content blocks into OpenAI output, shared by the JSON path
 * (response.ts, which sees whole blocks) and the stream path (stream.ts, which sees a block's
 * start, its deltas and its stop). Both paths emit the same pieces in the same order, so the
 * concatenated stream equals the JSON answer by construction:
 *
 * - `text` → `content`;
 * - `thinking` → `reasoning_content` (the field OpenAI-compatible servers such as vLLM and
 *   DeepSeek use); its signature, and `redacted_thinking` blocks, have no OpenAI field and are
 *   not passed on;
 * - `tool_use` → a function tool call whose `arguments` is the input's JSON text, `{}` when
 *   the input is empty;
 * - any other block (server tools, which this translation never enables) contributes nothing.
 */
export type Piece =
  | { readonly kind: 'content'; readonly text: string }
  | { readonly kind: 'reasoning'; readonly text: string }
  | { readonly kind: 'call'; readonly id: string; readonly name: string }
  | { readonly kind: 'arguments'; readonly json: string };

/** A block as it opens: whole in a JSON response, usually empty in a `content_block_start`. */
export function openBlock(block: unknown): Piece[] {
  if (!isObject(block)) return [];
  switch (block.type) {
    case 'text':
      return text('content', block.text);
    case 'thinking':
      return text('reasoning', block.thinking);
    case 'tool_use': {
      const { id, name } = block;
      if (typeof id !== 'string' || typeof name !== 'string') {
        throw gatewayError(
          'upstream.malformed_response',
          'the upstream sent a tool_use block without a string id and name',
        );
      }
      return [{ kind: 'call', id, name }];
    }
    default:
      return [];
  }
}

/** One `content_block_delta`. Signature and citation deltas carry nothing OpenAI has a field for. */
export function deltaPieces(delta: unknown): Piece[] {
  if (!isObject(delta)) return [];
  switch (delta.type) {
    case 'text_delta':
      return text('content', delta.text);
    case 'thinking_delta':
      return text('reasoning', delta.thinking);
    case 'input_json_delta':
      return typeof delta.partial_json === 'string' && delta.partial_json !== ''
        ? [{ kind: 'arguments', json: delta.partial_json }]
        : [];
    default:
      return [];
  }
}

/** A whole block, as a JSON response carries it: its opening, then a tool call's arguments. */
export function wholeBlock(block: unknown): Piece[] {
  const pieces = openBlock(block);
  return isToolUse(block) ? [...pieces, wholeArguments(block.input)] : pieces;
}

/**
 * A tool call's arguments when no input JSON was streamed: the block's own `input` (a JSON
 * response always has one; a stream's `content_block_start` carries `{}`), so an empty input is
 * `{}` on both paths, never an empty string that `JSON.parse` rejects.
 */
export function wholeArguments(input: unknown): Piece {
  return { kind: 'arguments', json: JSON.stringify(input ?? {}) };
}

export const isToolUse = (block: unknown): block is JsonObject =>
  isObject(block) && block.type === 'tool_use';

function text(kind: 'content' | 'reasoning', value: unknown): Piece[] {
  return typeof value === 'string' && value !== '' ? [{ kind, text: value }] : [];
}

/** The identity both paths give the completion. */
export function identity(message: unknown): { id: string; model: string } {
  const id = isObject(message) && typeof message.id === 'string' ? message.id : '';
  const model = isObject(message) && typeof message.model === 'string' ? message.model : '';
  return { id, model };
}
