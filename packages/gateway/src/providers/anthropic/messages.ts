import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { invalid, notSupported } from './invalid.js';
import {
  ASSISTANT_PARTS,
  onlyKnown,
  partBlocks,
  TEXT_PARTS,
  USER_PARTS,
  type PartKind,
} from './parts.js';

/**
 * OpenAI `messages` → Anthropic `system` + `messages`.
 *
 * Anthropic has no system role inside the conversation, no `tool` role (results are user
 * content blocks) and wants strictly alternating turns, so system and developer messages are
 * lifted to the top level and consecutive turns of one role are merged. Every message field is
 * translated or refused (see parts.ts for the content parts); none is dropped.
 */
export interface AnthropicMessage {
  readonly role: 'user' | 'assistant';
  content: JsonObject[];
}

export interface TranslatedMessages {
  /** A string, or text blocks when a part carries `cache_control` (a string cannot). */
  readonly system: string | JsonObject[] | undefined;
  readonly messages: AnthropicMessage[];
}

export function translateMessages(value: unknown): TranslatedMessages {
  if (!Array.isArray(value)) throw invalid('messages', 'must be an array');
  const system: JsonObject[][] = [];
  const turns: AnthropicMessage[] = [];
  value.forEach((message: unknown, i) => {
    const path = `messages.${i}`;
    if (!isObject(message)) throw invalid(path, 'must be an object');
    switch (message.role) {
      case 'system':
      case 'developer': {
        fields(message, ['role', 'content'], path);
        const blocks = contentBlocks(message.content, `${path}.content`, TEXT_PARTS);
        if (blocks.length > 0) system.push(blocks);
        return;
      }
      case 'user':
        fields(message, ['role', 'content'], path);
        return push(turns, 'user', contentBlocks(message.content, `${path}.content`, USER_PARTS));
      case 'assistant':
        return push(turns, 'assistant', assistantBlocks(message, path));
      case 'tool':
        return push(turns, 'user', [toolResult(message, path)]);
      case 'function':
        throw notSupported(
          `${path}.role`,
          "'function' messages are not supported; use tool messages",
        );
      default:
        throw invalid(`${path}.role`, 'must be system, developer, user, assistant or tool');
    }
  });
  for (const turn of turns) {
    // Anthropic requires tool results to open the user turn that answers a tool call.
    if (turn.role === 'user') turn.content.sort((a, b) => rank(a) - rank(b));
  }
  return { system: systemPrompt(system), messages: turns };
}

const rank = (block: JsonObject): number => (block.type === 'tool_result' ? 0 : 1);

const marked = (blocks: readonly JsonObject[]): boolean =>
  blocks.some((block) => block.cache_control !== undefined);

const joinText = (blocks: readonly JsonObject[]): string =>
  blocks.map((block) => block.text as string).join('\n');

/**
 * System and developer messages, in order: one string as before (parts joined by a newline,
 * messages by a blank line) unless a part carries a cache marker, which only a list of text
 * blocks can hold; then one block per part.
 */
function systemPrompt(messages: JsonObject[][]): string | JsonObject[] | undefined {
  if (messages.length === 0) return undefined;
  if (messages.some(marked)) return messages.flat();
  return messages.map(joinText).join('\n\n');
}

/** Message-level fields: refuses any outside `known`, with a hint for the usual suspects. */
function fields(message: JsonObject, known: readonly string[], path: string): void {
  if (typeof message.name === 'string') {
    throw notSupported(
      `${path}.name`,
      'participant names have no equivalent in provider type anthropic',
    );
  }
  if (message.cache_control !== undefined && message.cache_control !== null) {
    throw notSupported(`${path}.cache_control`, 'put cache_control on a content part instead');
  }
  onlyKnown(message, known, path);
}

/** Appends a turn, merging it into the previous one of the same role; empty turns vanish. */
function push(turns: AnthropicMessage[], role: 'user' | 'assistant', blocks: JsonObject[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

/** A string is one text block (none when empty: Anthropic refuses empty text blocks). */
function contentBlocks(
  content: unknown,
  path: string,
  allowed: ReadonlySet<PartKind>,
): JsonObject[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(path, 'must be a string or an array of parts');
  return content.flatMap((part: unknown, j) => partBlocks(part, `${path}.${j}`, allowed));
}

function assistantBlocks(message: JsonObject, path: string): JsonObject[] {
  for (const legacy of ['function_call', 'audio'] as const) {
    if (message[legacy] !== undefined && message[legacy] !== null) {
      throw notSupported(`${path}.${legacy}`);
    }
  }
  fields(message, ['role', 'content', 'refusal', 'tool_calls'], path);
  const { content, refusal } = message;
  const blocks =
    content === undefined || content === null
      ? []
      : contentBlocks(content, `${path}.content`, ASSISTANT_PARTS);
  // A refusal in the history is what the assistant said; Anthropic only knows text.
  if (typeof refusal === 'string' && refusal !== '') blocks.push({ type: 'text', text: refusal });
  else if (refusal !== undefined && refusal !== null && typeof refusal !== 'string') {
    throw invalid(`${path}.refusal`, 'must be a string or null');
  }
  const calls = message.tool_calls ?? [];
  if (!Array.isArray(calls)) throw invalid(`${path}.tool_calls`, 'must be an array');
  calls.forEach((call: unknown, k) => blocks.push(toolUse(call, `${path}.tool_calls.${k}`)));
  return blocks;
}

function toolUse(call: unknown, path: string): JsonObject {
  if (!isObject(call)) throw invalid(path, 'must be an object');
  if (typeof call.type === 'string' && call.type !== 'function') {
    throw notSupported(`${path}.type`, 'only function tool calls are supported');
  }
  if (call.type !== 'function' || !isObject(call.function)) {
    throw invalid(path, 'must be a function tool call');
  }
  onlyKnown(call, ['id', 'type', 'function'], path);
  onlyKnown(call.function, ['name', 'arguments'], `${path}.function`);
  const { id } = call;
  const { name, arguments: args } = call.function;
  if (typeof id !== 'string' || typeof name !== 'string') {
    throw invalid(path, 'must have a string id and function.name');
  }
  let input: unknown = {};
  if (typeof args === 'string' && args.trim() !== '') {
    try {
      input = JSON.parse(args);
    } catch {
      throw invalid(`${path}.function.arguments`, 'must be a JSON object');
    }
  }
  if (!isObject(input)) throw invalid(`${path}.function.arguments`, 'must be a JSON object');
  return { type: 'tool_use', id, name, input };
}

/**
 * A tool message → a tool_result block. Its text is one string unless a part carries a cache
 * marker; then the result holds the text blocks themselves.
 */
function toolResult(message: JsonObject, path: string): JsonObject {
  fields(message, ['role', 'content', 'tool_call_id'], path);
  if (typeof message.tool_call_id !== 'string') {
    throw invalid(`${path}.tool_call_id`, 'must be a string');
  }
  const result: JsonObject = { type: 'tool_result', tool_use_id: message.tool_call_id };
  const blocks = contentBlocks(message.content, `${path}.content`, TEXT_PARTS);
  if (blocks.length > 0) result.content = marked(blocks) ? blocks : joinText(blocks);
  return result;
}
