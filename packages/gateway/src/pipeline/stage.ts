import type { FastifyRequest } from 'fastify';
import type { GatewayErrorCode } from '../errors.js';
import type { ChatStream, JsonObject } from '../providers/types.js';
import type { Exchange } from './exchange.js';

/** The stage names of DESIGN.md's request path, in its order. */
export type StageName =
  | 'limits'
  | 'parse'
  | 'authenticate'
  | 'attest'
  | 'authorize'
  | 'meter'
  | 'guard-input'
  | 'proxy'
  | 'guard-output'
  | 'record';

/** A phase may finish synchronously (the common, cheap case) or return a promise. */
export type PhaseResult<T = void> = T | Promise<T>;

/** What the proxy stage's upstream call produced. */
export type Forwarded =
  | { readonly type: 'json'; readonly body: JsonObject }
  | { readonly type: 'stream'; readonly stream: ChatStream };

/**
 * A stage's view of one SSE stream, created per exchange so that it can keep state across
 * batches (a guard that must see a whole sentence holds chunks back by returning fewer).
 * Synchronous on purpose: each async layer per batch was measurable on the streaming benchmark.
 */
export interface StreamTransform {
  /** One batch of OpenAI chunks (one upstream read); returns what to pass on, possibly empty. */
  batch(chunks: readonly JsonObject[]): readonly JsonObject[];
  /** The upstream ended cleanly: chunks still held back, written before `[DONE]`. */
  end?(): readonly JsonObject[];
}

/** How an exchange ended, handed to every `done` phase. */
export interface Ending {
  /** The HTTP status sent, or 499 when the client left before the answer was complete. */
  readonly status: number;
  /** The refusal's or failure's code; undefined for a complete, successful answer. */
  readonly outcome: GatewayErrorCode | undefined;
  /** True when the answer was a problem+json refusal (the body is not yet written). */
  readonly refused: boolean;
}

/**
 * One step of the gateway's request path (DESIGN.md). A stage implements only the phases it
 * needs; it never touches Fastify's hooks or routes: `pipeline/plugin.ts` installs the phases of
 * the list in `pipeline/index.ts`, in its order. A phase refuses the request by throwing a
 * RampartError, which reaches the client as problem+json after every `done` phase has run.
 *
 * Order of phases for one request: every stage's `headers`, then the body is read and decoded
 * (by the one stage with `decode`), every stage's `body`, the one `forward`, then for a JSON
 * answer every `response`, for a stream every `stream` transform, and finally, exactly once,
 * every `done`. Phases of one kind run in list order.
 */
export interface Stage {
  readonly name: StageName;
  /** Before the body is read: refuse cheaply, before the gateway spends work on the body. */
  readonly headers?: (exchange: Exchange, request: FastifyRequest) => PhaseResult;
  /**
   * Decodes a request body (already bounded in size) into a value. Exactly one stage decodes.
   * Throws a RampartError for a body that is not acceptable.
   */
  readonly decode?: (text: string) => unknown;
  /** After the body was decoded; the parse stage validates it and resolves the model alias. */
  readonly body?: (exchange: Exchange, request: FastifyRequest) => PhaseResult;
  /** The upstream call. Exactly one stage forwards. */
  readonly forward?: (exchange: Exchange) => Promise<Forwarded>;
  /** A JSON answer, before it is sent: change it in place or return a replacement. */
  readonly response?: (exchange: Exchange, body: JsonObject) => PhaseResult<JsonObject | void>;
  /** A streamed answer: a transform for this exchange's stream, or undefined to stay out. */
  readonly stream?: (exchange: Exchange) => StreamTransform | undefined;
  /**
   * Once per exchange, success or refusal. For a refusal it is awaited before the problem is
   * written (so an audit event can be committed first); for an answer, it runs after the last
   * byte or after the client left. A throw here is logged, never sent.
   */
  readonly done?: (exchange: Exchange, ending: Ending) => PhaseResult;
}
