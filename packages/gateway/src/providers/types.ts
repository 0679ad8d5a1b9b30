import type { ExtraParameterName } from '../pipeline/parse/extensions.js';

/**
 * The contract between the proxy stage and an upstream AI provider adapter.
 *
 * Clients always speak the OpenAI wire format to Rampart. Each adapter translates that to its
 * provider's API and back, so everything after the adapter (guard-output, record) sees one shape.
 * An adapter never decides where to send a request from client input: its base URL and key come
 * from configuration only.
 */

export type JsonObject = Record<string, unknown>;

export const PROVIDER_TYPES = ['anthropic', 'openai-compatible'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Validated provider configuration (see config/schema.ts), secrets already resolved. */
export interface ProviderSettings {
  readonly name: string;
  readonly type: ProviderType;
  /** Base URL including any version prefix, e.g. https://api.openai.com/v1 */
  readonly baseUrl: string;
  /** The provider key, read from the environment or a file; undefined for keyless upstreams (Ollama). */
  readonly apiKey: string | undefined;
  /** How the key is sent: `Authorization: Bearer` (OpenAI and most), `api-key` (Azure), `x-api-key` (Anthropic). */
  readonly authHeader: 'bearer' | 'api-key' | 'x-api-key';
  /** Extra query parameters on every call (Azure's `api-version`). */
  readonly query: Readonly<Record<string, string>>;
  /** Extra fixed headers (e.g. `anthropic-version`); never from the client. */
  readonly headers: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
  /** Until the response headers arrive. */
  readonly headersTimeoutMs: number;
  /** Longest silence between two body chunks (for streams: between two events). */
  readonly bodyTimeoutMs: number;
  /** Retries for failures where the upstream provably did not process the request. */
  readonly maxRetries: number;
  readonly maxResponseBytes: number;
  /** Vendor extensions the parse stage accepts for this provider's models; none if absent. */
  readonly extraParameters?: readonly ExtraParameterName[];
  /** Fields the gateway may add to upstream requests on its own (config `capabilities`). */
  readonly capabilities: ProviderCapabilities;
}

export interface ProviderCapabilities {
  /** Ask for the usage chunk in every stream (`stream_options.include_usage`). */
  readonly streamUsage: boolean;
}

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

export interface CallOptions {
  /** Aborted when the client goes away or the gateway shuts down. */
  readonly signal: AbortSignal;
  readonly requestId: string;
}

export interface JsonResult {
  /** OpenAI-format response body. */
  readonly body: JsonObject;
  readonly usage: Usage | undefined;
}

export interface ChatStream {
  /**
   * OpenAI-format chunk objects in batches: each batch holds the chunks of the events that
   * arrived in one upstream read, yielded as soon as that read arrives (a batch is never held
   * back waiting for more). Batching keeps the per-event cost of async iteration off the hot
   * path. Batches are never empty. Ends after the upstream's end-of-stream marker (which is not
   * yielded). Throws a RampartError `upstream.stream_interrupted` / `upstream.timeout` /
   * `upstream.malformed_response` / `upstream.response_too_large` when the stream breaks after
   * it started.
   */
  readonly chunks: AsyncIterable<readonly JsonObject[]>;
  /** Usage seen in the stream so far (final once `chunks` is exhausted). */
  usage(): Usage | undefined;
}

export interface Provider {
  readonly name: string;
  readonly type: ProviderType;
  /** Non-streaming chat completion. `body.model` is already the upstream model name. */
  chat(body: JsonObject, options: CallOptions): Promise<JsonResult>;
  /**
   * Streaming chat completion. Resolves once the upstream accepted the request (status 2xx and
   * event-stream headers), so faults before the first byte still become problem+json responses.
   */
  chatStream(body: JsonObject, options: CallOptions): Promise<ChatStream>;
  embeddings(body: JsonObject, options: CallOptions): Promise<JsonResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export type ProviderFactory = (settings: ProviderSettings) => Provider;
