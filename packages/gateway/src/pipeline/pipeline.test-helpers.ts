import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Credentials } from '@rampart/testkit';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { deepMerge } from '../config/env.js';
import { validateConfig, type Config } from '../config/index.js';
import { createLogger } from '../logging.js';
import { createMetrics, type GatewayMetrics } from '../monitor/metrics.js';
import type { ChatStream, JsonObject, JsonResult, Provider, Usage } from '../providers/types.js';
import type { Exchange } from './exchange.js';
import { gatewayStages, type PipelineDeps } from './index.js';
import { createModelRouter, type ModelRouter } from './parse/router.js';
import type { UsageEventInput } from './record/usage.js';
import type { Ending, Stage, StageName } from './stage.js';

/**
 * In-process pipeline tests: a real app (buildApp) whose neighbours are stubbed — a provider
 * double instead of an upstream, an array instead of the store — and whose stage list the test
 * chooses. Not shipped (excluded from the build like the tests themselves).
 */

export const USAGE: Usage = { promptTokens: 7, completionTokens: 5, totalTokens: 12 };

export interface StubBehaviour {
  /** Non-streaming chat and embeddings answer. Default: a one-choice completion. */
  json?: (body: JsonObject, signal: AbortSignal) => Promise<JsonResult>;
  /** Stream batches; a batch given as a function runs (and may wait or throw) before yielding. */
  stream?: (body: JsonObject, signal: AbortSignal) => AsyncIterable<readonly JsonObject[]>;
  /** Usage the stream reports, read after each batch. */
  streamUsage?: () => Usage | undefined;
}

export function chunk(content: string): JsonObject {
  return {
    id: 'c1',
    object: 'chat.completion.chunk',
    model: 'upstream-model',
    choices: [{ index: 0, delta: { content } }],
  };
}

export async function* batches(...contents: string[]): AsyncGenerator<readonly JsonObject[]> {
  for (const content of contents) {
    await Promise.resolve();
    yield [chunk(content)];
  }
}

/** Resolves when the signal aborts, rejecting with its reason (as an aborted upstream read). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

/** A Provider double: records what it was sent and answers as told. */
export function stubProvider(behaviour: StubBehaviour = {}): Provider & { sent: JsonObject[] } {
  const sent: JsonObject[] = [];
  const json =
    behaviour.json ??
    ((body: JsonObject) =>
      Promise.resolve({
        body: {
          id: 'x',
          object: 'chat.completion',
          model: body['model'],
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
        },
        usage: USAGE,
      }));
  return {
    name: 'stub',
    type: 'openai-compatible',
    sent,
    chat: (body, { signal }) => {
      sent.push(body);
      return json(body, signal);
    },
    embeddings: (body, { signal }) => {
      sent.push(body);
      return json(body, signal);
    },
    chatStream: (body, { signal }): Promise<ChatStream> => {
      sent.push(body);
      const chunks = behaviour.stream?.(body, signal) ?? batches('a', 'b');
      return Promise.resolve({ chunks, usage: behaviour.streamUsage ?? (() => undefined) });
    },
    close: () => Promise.resolve(),
  };
}

export interface PipelineTestApp {
  readonly app: FastifyInstance;
  readonly usage: UsageEventInput[];
  readonly metrics: GatewayMetrics;
  readonly shutdown: AbortController;
  readonly config: Config;
  draining: boolean;
  logs(): string;
}

export function routerFor(provider: Provider): ModelRouter {
  return createModelRouter([
    { alias: 'chat', kind: 'chat', provider, upstreamModel: 'upstream-model' },
    { alias: 'embed', kind: 'embeddings', provider, upstreamModel: 'upstream-embed' },
  ]);
}

/**
 * Builds the app with the gateway's own stages, or with `stages(deps)` when given (to stub a
 * stage's neighbours or to add a spy). With `credentials` (testkit's `createCredentials`), their
 * issuer is trusted (`auth.issuers`) and their public URL is `server.publicUrl`, so that the
 * real authenticate stage verifies each request's `credentials.headers(method, url)`: tests
 * that run the gateway's own stage list pass them rather than leave `/v1` anonymous.
 */
export function pipelineApp(
  options: {
    provider?: Provider;
    /** The aliases served; default `chat` and `embed` (routerFor) on the provider. */
    router?: ModelRouter;
    stages?: (deps: PipelineDeps) => readonly Stage[];
    config?: Record<string, unknown>;
    credentials?: Credentials;
  } = {},
): PipelineTestApp {
  const { credentials } = options;
  const authenticated =
    credentials === undefined
      ? // Stage isolation: unless the test configures auth itself, the stages under test run
        // without authentication (auth.mode none).
        options.config?.['auth'] === undefined
        ? { auth: { mode: 'none' } }
        : {}
      : {
          server: { publicUrl: credentials.publicUrl },
          auth: { issuers: [credentials.issuerConfig] },
          // Authorization denies by default: role `tester` may do everything.
          authz: {
            roles: {
              tester: [
                {
                  endpoints: ['chat', 'embeddings', 'models'],
                  aliases: ['*'],
                  features: ['stream', 'tools', 'images', 'audio', 'logprobs'],
                },
              ],
            },
          },
        };
  const config = validateConfig(
    deepMerge(
      { dataDir: mkdtempSync(join(tmpdir(), 'rampart-pipeline-')), log: { level: 'info' } },
      deepMerge(authenticated, options.config ?? {}),
    ),
  );
  let captured = '';
  const sink = new Writable({
    write(text: Buffer, _encoding, callback) {
      captured += text.toString();
      callback();
    },
  });
  const usage: UsageEventInput[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const shutdown = new AbortController();
  const state = { draining: false };
  const deps: PipelineDeps = {
    config,
    router: options.router ?? routerFor(options.provider ?? stubProvider()),
    metrics,
    usage: { add: (event) => void usage.push(event) },
    isDraining: () => state.draining,
  };
  const app = buildApp({
    ...deps,
    logger: createLogger('info', sink),
    pingDatabase: () => Promise.resolve(),
    shutdown: shutdown.signal,
    stages: options.stages?.(deps) ?? gatewayStages(deps),
  });
  return {
    app,
    usage,
    metrics,
    shutdown,
    config,
    get draining() {
      return state.draining;
    },
    set draining(value: boolean) {
      state.draining = value;
    },
    logs: () => captured,
  };
}

export interface SpyCall {
  readonly phase: 'headers' | 'body' | 'response' | 'stream' | 'done';
  readonly ending?: Ending;
  readonly exchange: Exchange;
}

/**
 * A stage that only watches: every phase it is given is recorded. Its name is outside the
 * StageName union on purpose, so it can sit anywhere in a list without taking a real slot.
 */
export function spyStage(doneDelayMs = 0): Stage & { calls: SpyCall[] } {
  const calls: SpyCall[] = [];
  return {
    name: 'spy' as StageName,
    calls,
    headers: (exchange) => void calls.push({ phase: 'headers', exchange }),
    body: (exchange) => void calls.push({ phase: 'body', exchange }),
    response: (exchange) => void calls.push({ phase: 'response', exchange }),
    stream: (exchange) => {
      calls.push({ phase: 'stream', exchange });
      return undefined;
    },
    done: async (exchange, ending) => {
      if (doneDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, doneDelayMs));
      calls.push({ phase: 'done', exchange, ending });
    },
  };
}

export const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: 'chat',
  messages: [{ role: 'user' as const, content: 'Hello' }],
  ...extra,
});
