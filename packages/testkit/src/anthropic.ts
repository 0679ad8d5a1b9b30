/**
 * The Anthropic Messages API (anthropic-version 2023-06-01), in the shape and event order the
 * official API sends. Only `message_start` names the message id and model; every other streamed
 * event is the same for every request and is rendered once per options change.
 */
import type { ResolvedOptions } from './options.js';
import type { StreamPlan } from './respond.js';
import { splitText } from './split.js';
import type { ToolCall } from './tools.js';

export interface AnthropicTemplates {
  /** Everything after `"model":…,` in a `message`, closing brace included. */
  readonly messageTail: string;
  /** What follows the model in `message_start`, through the end of the event. */
  readonly startTail: string;
  /** Every event after `message_start`, wire-ready. */
  readonly events: readonly string[];
}

const event = (type: string, data: Record<string, unknown>): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const MESSAGE_STOP = event('message_stop', {});

export function renderAnthropic(options: ResolvedOptions): AnthropicTemplates {
  const { promptTokens, completionTokens } = options.usage;
  const messageTail = JSON.stringify({
    content: [{ type: 'text', text: options.reply }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: promptTokens, output_tokens: completionTokens },
  }).slice(1);
  const startTail = `${JSON.stringify({
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: promptTokens, output_tokens: 1 },
  }).slice(1)}}\n\n`;
  const events = [
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    event('ping', {}),
    ...splitText(options.reply, options.streamChunks).map((text) =>
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
    ),
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: completionTokens },
    }),
    MESSAGE_STOP,
  ];
  return { messageTail, startTail, events };
}

export function messageBody(t: AnthropicTemplates, id: string, model: string): string {
  return `{"id":"msg_${id}","type":"message","role":"assistant","model":${JSON.stringify(model)},${t.messageTail}`;
}

export function messageStream(t: AnthropicTemplates, id: string, model: string): StreamPlan {
  const start = `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_${id}","type":"message","role":"assistant","model":${JSON.stringify(model)},${t.startTail}`;
  const events = [start, ...t.events];
  // message_start, content_block_start, ping, then the deltas; the last three events close.
  return {
    events,
    firstContent: 3,
    firstTail: events.length - 3,
    garbage:
      'event: content_block_delta\ndata: {"type":"content_block_delta", this is not JSON\n\n',
    terminator: MESSAGE_STOP,
  };
}

/** A `message` whose content is one `tool_use` block: built per request, tools vary. */
export function toolMessageBody(
  options: ResolvedOptions,
  id: string,
  model: string,
  call: ToolCall,
): string {
  return JSON.stringify({
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [
      {
        type: 'tool_use',
        id: `toolu_${id}`,
        name: call.name,
        input: JSON.parse(call.arguments) as unknown,
      },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: {
      input_tokens: options.usage.promptTokens,
      output_tokens: options.usage.completionTokens,
    },
  });
}

/** The same as a stream: a `tool_use` block whose input arrives as `input_json_delta` pieces. */
export function toolMessageStream(
  options: ResolvedOptions,
  id: string,
  model: string,
  call: ToolCall,
): StreamPlan {
  const start = event('message_start', {
    message: {
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: options.usage.promptTokens, output_tokens: 1 },
    },
  });
  const events = [
    start,
    event('content_block_start', {
      index: 0,
      content_block: { type: 'tool_use', id: `toolu_${id}`, name: call.name, input: {} },
    }),
    event('ping', {}),
    ...splitText(call.arguments, options.streamChunks).map((partial_json) =>
      event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json } }),
    ),
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: options.usage.completionTokens },
    }),
    MESSAGE_STOP,
  ];
  return {
    events,
    firstContent: 3,
    firstTail: events.length - 3,
    garbage:
      'event: content_block_delta\ndata: {"type":"content_block_delta", this is not JSON\n\n',
    terminator: MESSAGE_STOP,
  };
}
