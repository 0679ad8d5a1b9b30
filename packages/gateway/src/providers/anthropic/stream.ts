import { gatewayError } from '../../errors.js';
import { chunkBatches, type EventStep } from '../http/batches.js';
import { parseEventData, type EventStream } from '../http/events.js';
import { errorTokens, isObject } from '../http/faults.js';
import type { ChatStream, JsonObject, Usage } from '../types.js';
import {
  deltaPieces,
  identity,
  isToolUse,
  openBlock,
  wholeArguments,
  type Piece,
} from './blocks.js';
import { anthropicTokens, finishReason, openAIUsageObject, toUsage } from './response.js';

/**
 * Anthropic's typed event stream → OpenAI chat.completion.chunk objects.
 *
 * A state machine fed one event at a time, so every text or tool-argument delta is forwarded the
 * moment it arrives. What each block and delta becomes is decided in blocks.ts, shared with the
 * JSON path, so the joined stream equals the JSON translation. Content block indexes (which
 * count every block) are remapped to OpenAI tool-call indexes (which count tool calls only).
 */
export class AnthropicStreamTranslator {
  readonly #created: number;
  readonly #clientWantsUsage: boolean;
  #id = '';
  #model = '';
  #started = false;
  #done = false;
  /** Content block index → OpenAI tool-call index. */
  readonly #toolIndex = new Map<number, number>();
  /** Tool blocks whose input has not been streamed yet: block index → the start's `input`. */
  readonly #unstreamed = new Map<number, unknown>();
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
      case 'content_block_stop':
        return this.#blockStop(event.index);
      case 'message_delta': {
        this.#count(event.usage);
        // A tool block left open still gets its arguments before the finish reason.
        const open = this.#blockStop(undefined);
        return isObject(event.delta) && typeof event.delta.stop_reason === 'string'
          ? [...open, this.#chunk({}, finishReason(event.delta.stop_reason))]
          : open;
      }
      case 'message_stop':
        this.#done = true;
        return [...this.#blockStop(undefined), ...this.#usageChunk()];
      default:
        // Unknown event types are tolerated, as Anthropic's versioning policy asks of clients.
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
    ({ id: this.#id, model: this.#model } = identity(message));
    this.#count(message.usage);
    return [this.#chunk({ role: 'assistant', content: '' })];
  }

  #blockStart(index: unknown, block: unknown): JsonObject[] {
    if (typeof index !== 'number') return [];
    if (isToolUse(block)) {
      this.#toolIndex.set(index, this.#toolIndex.size);
      this.#unstreamed.set(index, block.input);
    }
    return this.#chunks(index, openBlock(block));
  }

  #blockDelta(index: unknown, delta: unknown): JsonObject[] {
    if (typeof index !== 'number' || !isObject(delta)) return [];
    if (delta.type === 'input_json_delta' && !this.#toolIndex.has(index)) {
      throw gatewayError('upstream.malformed_response', 'the upstream sent tool input for no tool');
    }
    const pieces = deltaPieces(delta);
    if (pieces.some((piece) => piece.kind === 'arguments')) this.#unstreamed.delete(index);
    return this.#chunks(index, pieces);
  }

  /** A tool block that closes without streamed input gets its whole input, `{}` when empty. */
  #blockStop(index: unknown): JsonObject[] {
    const pending = typeof index === 'number' ? [index] : [...this.#unstreamed.keys()];
    return pending.flatMap((i) => {
      if (!this.#unstreamed.has(i)) return [];
      const input = this.#unstreamed.get(i);
      this.#unstreamed.delete(i);
      return this.#chunks(i, [wholeArguments(input)]);
    });
  }

  #chunks(index: number, pieces: readonly Piece[]): JsonObject[] {
    return pieces.map((piece) => {
      switch (piece.kind) {
        case 'content':
          return this.#chunk({ content: piece.text });
        case 'reasoning':
          return this.#chunk({ reasoning_content: piece.text });
        case 'call': {
          const call = { index: this.#toolIndex.get(index), id: piece.id, type: 'function' };
          const fn = { name: piece.name, arguments: '' };
          return this.#chunk({ tool_calls: [{ ...call, function: fn }] });
        }
        case 'arguments': {
          const call = { index: this.#toolIndex.get(index), function: { arguments: piece.json } };
          return this.#chunk({ tool_calls: [call] });
        }
      }
    });
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
