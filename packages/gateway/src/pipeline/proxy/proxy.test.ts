import { afterEach, describe, expect, it } from 'vitest';
import { gatewayError } from '../../errors.js';
import { createModelRouter } from '../parse/router.js';
import {
  batches,
  chatBody,
  pipelineApp,
  stubProvider,
  USAGE,
  type PipelineTestApp,
  type StubBehaviour,
} from '../pipeline.test-helpers.js';
import type { PipelineDeps } from '../index.js';
import type { Stage } from '../stage.js';
import { proxyStage } from './index.js';

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

/**
 * proxy with its neighbours stubbed: a parse stand-in that puts a fixed route and upstream body
 * on the exchange, and a provider double behind it.
 */
function proxyApp(behaviour: StubBehaviour = {}, before: readonly Stage[] = []) {
  const provider = stubProvider(behaviour);
  const route = createModelRouter([
    { alias: 'chat', kind: 'chat', provider, upstreamModel: 'upstream-model' },
  ]).resolve('chat', 'chat');
  const fixedParse: Stage = {
    name: 'parse',
    decode: (text) => JSON.parse(text) as unknown,
    body: (exchange, request) => {
      const body = request.body as { stream?: boolean };
      exchange.request = { kind: 'chat', body: { ...chatBody(), stream: body.stream ?? null } };
      exchange.route = route;
      exchange.upstreamBody = {
        model: 'upstream-model',
        stream: body.stream,
        marker: 'from-parse',
      };
    },
  };
  let seen: unknown;
  let outcome: unknown;
  const watch: Stage = {
    name: 'record',
    done: (exchange) => {
      seen = exchange.usage;
      outcome = exchange.outcome;
    },
  };
  const stages = (deps: PipelineDeps) => [...before, fixedParse, proxyStage(deps), watch];
  t = pipelineApp({ provider, stages });
  return { provider, app: t.app, metrics: t.metrics, usage: () => seen, outcome: () => outcome };
}

describe('proxy stage', () => {
  it('starts no upstream call when the exchange was aborted while earlier stages awaited', async () => {
    // A stage that is still awaiting (as authenticate awaits a JWKS) when shutdown's grace runs out.
    const slow: Stage = {
      name: 'authenticate',
      headers: async () => {
        t?.shutdown.abort(gatewayError('server.shutting_down'));
        await Promise.resolve();
      },
    };
    const { provider, app, outcome } = proxyApp({}, [slow]);
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} });
    expect(response.statusCode).toBe(503);
    expect(provider.sent).toEqual([]);
    expect(outcome()).toBe('server.shutting_down');
  });

  it('sends exactly the upstream body the earlier stages left, and puts usage on the exchange', async () => {
    const { provider, app, usage } = proxyApp();
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} });
    expect(response.statusCode).toBe(200);
    expect(provider.sent).toEqual([{ model: 'upstream-model', marker: 'from-parse' }]);
    expect(usage()).toEqual(USAGE);
  });

  it('streams the provider batches and keeps the usage the stream reports', async () => {
    const { app, usage } = proxyApp({
      stream: () => batches('x', 'y'),
      streamUsage: () => USAGE,
    });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { stream: true },
    });
    expect(response.headers['content-type']).toContain('text/event-stream');
    expect(response.body.match(/^data: \{/gm)).toHaveLength(2);
    expect(response.body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(usage()).toEqual(USAGE);
  });

  it('an upstream failure is the client’s problem+json, and the call is timed by outcome', async () => {
    const { app, metrics } = proxyApp({
      json: () => Promise.reject(gatewayError('upstream.timeout')),
    });
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} });
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ code: 'upstream.timeout' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /rampart_upstream_request_duration_seconds_count\{provider="stub",outcome="upstream.timeout"\} 1/,
    );
  });

  it('a stream that breaks after the first byte ends with a terminal error event, no [DONE]', async () => {
    const { app } = proxyApp({
      stream: async function* () {
        yield* batches('x');
        throw gatewayError('upstream.stream_interrupted');
      },
    });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { stream: true },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('event: error');
    expect(response.body).toContain('upstream.stream_interrupted');
    expect(response.body).not.toContain('[DONE]');
  });
});
