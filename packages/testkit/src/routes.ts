/**
 * The endpoints, one entry each, keyed by path. A handler gets a body that is already a JSON
 * object, checks what the real API would reject (so adapter bugs show up here, not in
 * production), and answers from the prepared templates.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { messageBody, messageStream, toolMessageBody, toolMessageStream } from './anthropic.js';
import { errorBody, type Dialect } from './dialect.js';
import {
  DEFAULT_DIMENSIONS,
  MAX_DIMENSIONS,
  embeddingInputs,
  embeddingsBody,
} from './embeddings.js';
import {
  MODELS_BODY,
  completionBody,
  completionStream,
  toolCompletionBody,
  toolCompletionStream,
} from './openai.js';
import type { Rendered } from './render.js';
import { playStream, prepareJson, sendJson, sendPrepared, type StreamPlan } from './respond.js';
import { anthropicToolCall, openAiToolCall } from './tools.js';

export type JsonObject = Record<string, unknown>;

export interface RouteContext {
  readonly res: ServerResponse;
  readonly headers: IncomingHttpHeaders;
  readonly body: JsonObject;
  readonly state: Rendered;
  /** Unique within this mock; becomes `chatcmpl-…` or `msg_…`. */
  readonly id: string;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly dialect: Dialect;
  /** The stream this request asks for, or undefined when it asks for none. */
  readonly stream?: (body: JsonObject, state: Rendered, id: string) => StreamPlan | undefined;
  readonly handle: (ctx: RouteContext) => void;
}

const modelOf = (body: JsonObject): string => (typeof body.model === 'string' ? body.model : '');
const now = (): number => Math.floor(Date.now() / 1000);

function reject(ctx: RouteContext, dialect: Dialect, message: string): void {
  sendJson(ctx.res, 400, errorBody(dialect, 400, message));
}

const MODELS = prepareJson(200, MODELS_BODY);

const chat: Route = {
  method: 'POST',
  dialect: 'openai',
  stream: (body, state, id) => {
    if (body.stream !== true) return undefined;
    const streamOptions = body.stream_options as { include_usage?: unknown } | null | undefined;
    const includeUsage = streamOptions?.include_usage === true;
    const call = openAiToolCall(body);
    return call === undefined
      ? completionStream(state.openai, id, now(), modelOf(body), includeUsage)
      : toolCompletionStream(state.options, id, now(), modelOf(body), call, includeUsage);
  },
  handle(ctx) {
    const { body, state } = ctx;
    if (typeof body.model !== 'string' || body.model === '') {
      return reject(ctx, 'openai', 'you must provide a model parameter');
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return reject(ctx, 'openai', "'messages' must be a non-empty array");
    }
    if (body.stream_options != null && body.stream !== true) {
      return reject(
        ctx,
        'openai',
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      );
    }
    const plan = chat.stream?.(body, state, ctx.id);
    if (plan !== undefined) playStream(ctx.res, plan, state.options.streamIntervalMs);
    else {
      const call = openAiToolCall(body);
      sendJson(
        ctx.res,
        200,
        call === undefined
          ? completionBody(state.openai, ctx.id, now(), body.model)
          : toolCompletionBody(state.options, ctx.id, now(), body.model, call),
      );
    }
  },
};

const embeddings: Route = {
  method: 'POST',
  dialect: 'openai',
  handle(ctx) {
    const { body } = ctx;
    if (typeof body.model !== 'string' || body.model === '') {
      return reject(ctx, 'openai', 'you must provide a model parameter');
    }
    const texts = embeddingInputs(body.input);
    if (typeof texts === 'string') return reject(ctx, 'openai', texts);
    const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS;
    if (
      typeof dimensions !== 'number' ||
      !Number.isInteger(dimensions) ||
      dimensions < 1 ||
      dimensions > MAX_DIMENSIONS
    ) {
      return reject(ctx, 'openai', `'dimensions' must be an integer from 1 to ${MAX_DIMENSIONS}`);
    }
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      return reject(ctx, 'openai', "'encoding_format' must be 'float' or 'base64'");
    }
    const { promptTokens } = ctx.state.options.usage;
    sendJson(
      ctx.res,
      200,
      embeddingsBody(texts, dimensions, format === 'base64', body.model, promptTokens),
    );
  },
};

const models: Route = {
  method: 'GET',
  dialect: 'openai',
  handle: (ctx) => sendPrepared(ctx.res, MODELS),
};

const messages: Route = {
  method: 'POST',
  dialect: 'anthropic',
  stream: (body, state, id) => {
    if (body.stream !== true) return undefined;
    const call = anthropicToolCall(body);
    return call === undefined
      ? messageStream(state.anthropic, id, modelOf(body))
      : toolMessageStream(state.options, id, modelOf(body), call);
  },
  handle(ctx) {
    const { body, state } = ctx;
    // The real API refuses requests without a version; an adapter that forgets it must fail here.
    if (ctx.headers['anthropic-version'] === undefined) {
      return reject(ctx, 'anthropic', 'anthropic-version: header is required');
    }
    if (typeof body.model !== 'string' || body.model === '') {
      return reject(ctx, 'anthropic', 'model: Field required');
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return reject(ctx, 'anthropic', 'messages: Field required');
    }
    if (
      typeof body.max_tokens !== 'number' ||
      !Number.isInteger(body.max_tokens) ||
      body.max_tokens < 1
    ) {
      return reject(ctx, 'anthropic', 'max_tokens: Field required');
    }
    const plan = messages.stream?.(body, state, ctx.id);
    if (plan !== undefined) playStream(ctx.res, plan, state.options.streamIntervalMs);
    else {
      const call = anthropicToolCall(body);
      sendJson(
        ctx.res,
        200,
        call === undefined
          ? messageBody(state.anthropic, ctx.id, body.model)
          : toolMessageBody(state.options, ctx.id, body.model, call),
      );
    }
  },
};

/** Paths as the providers spell them; the mock's URL has no `/v1`, so base URLs end in `/v1`. */
export const ROUTES: ReadonlyMap<string, Route> = new Map(
  Object.entries({
    '/v1/chat/completions': chat,
    '/v1/embeddings': embeddings,
    '/v1/messages': messages,
    '/v1/models': models,
  } satisfies Record<string, Route>),
);
