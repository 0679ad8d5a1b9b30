import { gatewayError } from '../../errors.js';
import { chunkBatches, type EventStep } from '../http/batches.js';
import { parseEventData, type EventStream } from '../http/events.js';
import { errorTokens, isObject } from '../http/faults.js';
import type { ChatStream, JsonObject, Usage } from '../types.js';
import { anthropicTokens, finishReason, openAIUsageObject, toUsage } from './response.js';

/**
 * Anthropic's typed event stream → OpenAI chat.completion.chunk objects.
 *
 * A state machine fed one event at a time, so every text or tool-argument delta is forwarded the
 * moment it arrives. Content block indexes (which count text and tool blocks together) are
 * remapped to OpenAI tool-call indexes (which count tool calls only).
 */
export class AnthropicStreamTranslator {
  readonly #created: number;
  readonly #clientWantsUsage: boolean;
  #id = '';
  #model = '';
  #started = false;
  #done = false;
  readonly #toolIndex = new Map<number, number>();
  #input: number | undefined;
  #cachedInput = 0;
  #output: number | undefined;

  constructor(created: number, clientWantsUsage: boolean) {
    this.#created = created;
    this.#clientWantsUsage = clientWantsUsage;
  }

  /** True once `message_stop` arrived; nothing after it is read. */
  get done(): boolean {
    return this.#done;
  }

  usage(): Usage | undefined {
    if (this.#input === undefined || this.#output === undefined) return undefined;
    return toUsage(this.#input, this.#output);
  }

  /** Translates one event (its JSON `data`); returns the chunks to send, possibly none. */
  accept(event: JsonObject): JsonObject[] {
    const type = event.type;
    if (type === 'ping') return [];
    if (type === 'error') {
      throw gatewayError(
        'upstream.stream_interrupted',
        `the upstream sent an error event mid-stream${errorTokens(event)}`,
      );
    }
    if (type === 'message_start') return this.#start(event.message);
    if (!this.#started) {
      throw gatewayError(
        'upstream.malformed_response',
        'the upstream stream began without message_start',
      );
    }
    switch (type) {
      case 'content_block_start':
        return this.#blockStart(event.index, event.content_block);
      case 'content_block_delta':
        return this.#blockDelta(event.index, event.delta);
      case 'message_delta':
        this.#count(event.usage);
        return isObject(event.delta) && typeof event.delta.stop_reason === 'string'
          ? [this.#chunk({}, finishReason(event.delta.stop_reason))]
          : [];
      case 'message_stop':
        this.#done = true;
        return this.#usageChunk();
      default:
        // content_block_stop carries nothing to forward; unknown event types are tolerated, as
        // Anthropic's versioning policy asks of clients.
        return [];
    }
  }

  #start(message: unknown): JsonObject[] {
    if (!isObject(message) || this.#started) {
      throw gatewayError(
        'upstream.malformed_response',
        'the upstream sent an invalid message_start',
      );
    }
    this.#started = true;
    this.#id = typeof message.id === 'string' ? message.id : '';
    this.#model = typeof message.model === 'string' ? message.model : '';
    this.#count(message.usage);
    return [this.#chunk({ role: 'assistant', content: '' })];
  }

  #blockStart(index: unknown, block: unknown): JsonObject[] {
    if (!isObject(block) || typeof index !== 'number') return [];
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
      return [this.#chunk({ content: block.text })];
    }
    if (block.type !== 'tool_use') return [];
    const toolIndex = this.#toolIndex.size;
    this.#toolIndex.set(index, toolIndex);
    const call = { index: toolIndex, id: block.id, type: 'function' };
    return [
      this.#chunk({ tool_calls: [{ ...call, function: { name: block.name, arguments: '' } }] }),
    ];
  }

  #blockDelta(index: unknown, delta: unknown): JsonObject[] {
    if (!isObject(delta)) return [];
    if (delta.type === 'text_delta' && typeof delta.text === 'string') {
      return delta.text === '' ? [] : [this.#chunk({ content: delta.text })];
    }
    if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
      const toolIndex = typeof index === 'number' ? this.#toolIndex.get(index) : undefined;
      if (toolIndex === undefined) {
        throw gatewayError(
          'upstream.malformed_response',
          'the upstream sent tool input for no tool',
        );
      }
      if (delta.partial_json === '') return [];
      const call = { index: toolIndex, function: { arguments: delta.partial_json } };
      return [this.#chunk({ tool_calls: [call] })];
    }
    // thinking, signature and citation deltas belong to features this translation never enables.
    return [];
  }

  /** message_start carries the input count, message_delta the running output count. */
  #count(value: unknown): void {
    const tokens = anthropicTokens(value);
    if (tokens === undefined) return;
    if (tokens.input !== undefined) {
      this.#input = tokens.input;
      this.#cachedInput = tokens.cachedInput;
    }
    if (tokens.output !== undefined) this.#output = tokens.output;
  }

  #usageChunk(): JsonObject[] {
    const usage = this.usage();
    if (!this.#clientWantsUsage || usage === undefined) return [];
    return [{ ...this.#base(), choices: [], usage: openAIUsageObject(usage, this.#cachedInput) }];
  }

  #chunk(delta: JsonObject, finish: string | null = null): JsonObject {
    return {
      ...this.#base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
  }

  #base(): JsonObject {
    return {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
    };
  }
}

/** The Anthropic event stream as the gateway's ChatStream. */
export function anthropicChatStream(
  stream: EventStream,
  translator: AnthropicStreamTranslator,
): ChatStream {
  const step: EventStep = (event, push) => {
    for (const chunk of translator.accept(parseEventData(event.data))) push(chunk);
    return translator.done;
  };
  return {
    chunks: chunkBatches(stream, step, 'message_stop'),
    usage: () => translator.usage(),
  };
}
