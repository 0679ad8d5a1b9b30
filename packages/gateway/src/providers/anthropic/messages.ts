import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { invalid, unsupported } from './invalid.js';

/**
 * OpenAI `messages` → Anthropic `system` + `messages`.
 *
 * Anthropic has no system role inside the conversation, no `tool` role (results are user
 * content blocks) and wants strictly alternating turns, so system and developer messages are
 * lifted to the top level and consecutive turns of one role are merged.
 */
export interface AnthropicMessage {
  readonly role: 'user' | 'assistant';
  content: JsonObject[];
}

export interface TranslatedMessages {
  readonly system: string | undefined;
  readonly messages: AnthropicMessage[];
}

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function translateMessages(value: unknown): TranslatedMessages {
  if (!Array.isArray(value)) throw invalid('messages', 'must be an array');
  const system: string[] = [];
  const turns: AnthropicMessage[] = [];
  value.forEach((message: unknown, i) => {
    const path = `messages[${i}]`;
    if (!isObject(message)) throw invalid(path, 'must be an object');
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOnly(message.content, `${path}.content`);
        if (text !== '') system.push(text);
        return;
      }
      case 'user':
        return push(turns, 'user', userBlocks(message.content, `${path}.content`));
      case 'assistant':
        return push(turns, 'assistant', assistantBlocks(message, path));
      case 'tool':
        return push(turns, 'user', [toolResult(message, path)]);
      case 'function':
        throw unsupported(`${path}.role=function`);
      default:
        throw invalid(`${path}.role`, 'must be system, developer, user, assistant or tool');
    }
  });
  for (const turn of turns) {
    // Anthropic requires tool results to open the user turn that answers a tool call.
    if (turn.role === 'user') turn.content.sort((a, b) => rank(a) - rank(b));
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, messages: turns };
}

const rank = (block: JsonObject): number => (block.type === 'tool_result' ? 0 : 1);

/** Appends a turn, merging it into the previous one of the same role; empty turns vanish. */
function push(turns: AnthropicMessage[], role: 'user' | 'assistant', blocks: JsonObject[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

/** Anthropic refuses empty text blocks, so empty strings contribute nothing. */
function textBlock(text: string): JsonObject[] {
  return text === '' ? [] : [{ type: 'text', text }];
}

function textOnly(content: unknown, path: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(path, 'must be a string or an array of text parts');
  return content
    .map((part: unknown, j) => {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      throw invalid(`${path}[${j}]`, 'must be a text part');
    })
    .join('\n');
}

function userBlocks(content: unknown, path: string): JsonObject[] {
  if (typeof content === 'string') return textBlock(content);
  if (!Array.isArray(content)) throw invalid(path, 'must be a string or an array of parts');
  return content.flatMap((part: unknown, j) => {
    const partPath = `${path}[${j}]`;
    if (!isObject(part)) throw invalid(partPath, 'must be an object');
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw invalid(`${partPath}.text`, 'must be a string');
      return textBlock(part.text);
    }
    if (part.type === 'image_url') return [imageBlock(part.image_url, `${partPath}.image_url`)];
    throw unsupported(`${partPath}.type=${typeof part.type === 'string' ? part.type : '?'}`);
  });
}

/** `data:` URLs become inline base64 images; http(s) URLs are fetched by Anthropic itself. */
function imageBlock(image: unknown, path: string): JsonObject {
  const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined;
  if (typeof url !== 'string') throw invalid(`${path}.url`, 'must be a string');
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const header = comma === -1 ? '' : url.slice(5, comma).toLowerCase();
    const mediaType = header.endsWith(';base64') ? header.slice(0, -7) : '';
    if (!IMAGE_TYPES.has(mediaType)) {
      throw invalid(`${path}.url`, 'must be a base64 data URL of a jpeg, png, gif or webp image');
    }
    return {
      type: 'image',
      source: { type: 'base64', media_type: mediaType, data: url.slice(comma + 1) },
    };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalid(`${path}.url`, 'must be an http(s) URL or a data URL');
}

function assistantBlocks(message: JsonObject, path: string): JsonObject[] {
  for (const legacy of ['function_call', 'audio'] as const) {
    if (message[legacy] !== undefined && message[legacy] !== null) {
      throw unsupported(`${path}.${legacy}`);
    }
  }
  const blocks: JsonObject[] = [];
  const { content } = message;
  if (typeof content === 'string') blocks.push(...textBlock(content));
  else if (Array.isArray(content)) {
    content.forEach((part: unknown, j) => {
      // A refusal in the history is what the assistant said; Anthropic only knows text.
      const text = isObject(part)
        ? part.type === 'refusal'
          ? part.refusal
          : part.text
        : undefined;
      if (typeof text !== 'string') throw invalid(`${path}.content[${j}]`, 'must be a text part');
      blocks.push(...textBlock(text));
    });
  } else if (content !== undefined && content !== null) {
    throw invalid(`${path}.content`, 'must be a string, an array of parts or null');
  }
  const calls = message.tool_calls ?? [];
  if (!Array.isArray(calls)) throw invalid(`${path}.tool_calls`, 'must be an array');
  calls.forEach((call: unknown, k) => blocks.push(toolUse(call, `${path}.tool_calls[${k}]`)));
  return blocks;
}

function toolUse(call: unknown, path: string): JsonObject {
  if (!isObject(call) || call.type !== 'function' || !isObject(call.function)) {
    throw invalid(path, 'must be a function tool call');
  }
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

function toolResult(message: JsonObject, path: string): JsonObject {
  if (typeof message.tool_call_id !== 'string') {
    throw invalid(`${path}.tool_call_id`, 'must be a string');
  }
  const text = textOnly(message.content, `${path}.content`);
  return text === ''
    ? { type: 'tool_result', tool_use_id: message.tool_call_id }
    : { type: 'tool_result', tool_use_id: message.tool_call_id, content: text };
}
