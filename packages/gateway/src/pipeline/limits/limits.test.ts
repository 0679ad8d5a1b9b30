import { afterEach, describe, expect, it } from 'vitest';
import { limitsStage } from './index.js';
import {
  chatBody,
  pipelineApp,
  spyStage,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import { proxyStage } from '../proxy/index.js';
import { parseStage } from '../parse/index.js';

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

/** limits first, a spy where the later stages would be, and a stub provider behind proxy. */
function limitsApp(config: Record<string, unknown> = {}) {
  const spy = spyStage();
  const provider = stubProvider();
  t = pipelineApp({
    provider,
    config,
    stages: (deps) => [
      limitsStage(deps),
      spy,
      parseStage({ router: deps.router, maxMessages: 8 }),
      proxyStage(deps),
    ],
  });
  return { spy, provider, t };
}

describe('limits stage', () => {
  it('while draining, /v1 answers 503 server.shutting_down before the body is read', async () => {
    const { spy, provider, t: app } = limitsApp();
    app.draining = true;
    const response = await app.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody(),
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['connection']).toBe('close');
    expect(response.json()).toMatchObject({ code: 'server.shutting_down' });
    expect(spy.calls.map((call) => call.phase)).toEqual(['done']);
    expect(provider.sent).toEqual([]);
  });

  it('while draining, liveness stays 200 and readiness says 503', async () => {
    const { t: app } = limitsApp();
    app.draining = true;
    expect((await app.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ code: 'server.shutting_down' });
  });

  it('more headers than limits.maxHeaderCount: 431 before any later stage runs', async () => {
    const { spy, t: app } = limitsApp({ limits: { maxHeaderCount: 8 } });
    const headers = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`x-extra-${i}`, 'v']));
    const response = await app.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers,
      payload: chatBody(),
    });
    expect(response.statusCode).toBe(431);
    expect(response.json()).toMatchObject({ code: 'request.headers_too_large' });
    expect(spy.calls.map((call) => call.phase)).toEqual(['done']);
  });

  it('decodes bodies as bounded JSON: too deep is refused before validation', async () => {
    const { spy, provider, t: app } = limitsApp({ limits: { maxJsonDepth: 4 } });
    const deep = { model: 'chat', messages: [{ role: 'user', content: [[[['x']]]] }] };
    const response = await app.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: deep,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'request.invalid_parameter' });
    expect(spy.calls.map((call) => call.phase)).toEqual(['headers', 'done']);
    expect(provider.sent).toEqual([]);
  });

  it('a request within every bound passes through unchanged', async () => {
    const { spy, provider, t: app } = limitsApp();
    const response = await app.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody(),
    });
    expect(response.statusCode).toBe(200);
    expect(spy.calls.map((call) => call.phase)).toEqual(['headers', 'body', 'response', 'done']);
    expect(provider.sent).toHaveLength(1);
  });

  it('an object with more members than limits.maxObjectKeys is refused before it is parsed or validated', async () => {
    const { spy, provider, t: app } = limitsApp();
    const keys = Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`k${i}`, i]));
    const response = await app.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody(keys),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'request.invalid_parameter' });
    expect(response.json<{ detail: string }>().detail).toContain('limits.maxObjectKeys');
    expect(response.body.length).toBeLessThan(2048);
    expect(spy.calls.map((call) => call.phase)).toEqual(['headers', 'done']);
    expect(provider.sent).toEqual([]);
  });
});
