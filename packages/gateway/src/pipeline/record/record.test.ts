import { afterEach, describe, expect, it, vi } from 'vitest';
import { gatewayError } from '../../errors.js';
import { limitsStage } from '../limits/index.js';
import { parseStage } from '../parse/index.js';
import { chatBody, pipelineApp, USAGE, type PipelineTestApp } from '../pipeline.test-helpers.js';
import type { Forwarded, Stage } from '../stage.js';
import { recordStage } from './index.js';

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

/** record after a stub proxy that answers as told, with usage it sets itself. */
function recordApp(answer: (stream: boolean) => Promise<Forwarded>) {
  const stubProxy: Stage = {
    name: 'proxy',
    forward: (exchange) => {
      exchange.usage = USAGE;
      return answer(exchange.request?.kind === 'chat' && exchange.request.body.stream === true);
    },
  };
  t = pipelineApp({
    stages: (deps) => [
      limitsStage(deps),
      parseStage({ router: deps.router, maxMessages: 8 }),
      stubProxy,
      recordStage(deps),
    ],
  });
  return t;
}

const json = (): Promise<Forwarded> =>
  Promise.resolve({ type: 'json', body: { object: 'chat.completion', model: 'm' } });

describe('record stage', () => {
  it('leaves one usage event per answered request: counts and configuration, no content', async () => {
    const app = recordApp(json);
    await app.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chatBody() });
    await vi.waitFor(() => expect(app.usage).toHaveLength(1));
    const [event] = app.usage;
    expect(event).toMatchObject({
      route: '/v1/chat/completions',
      modelAlias: 'chat',
      provider: 'stub',
      upstreamModel: 'upstream-model',
      status: 200,
      outcome: null,
      promptTokens: 7,
      completionTokens: 5,
      streamed: false,
    });
    expect(JSON.stringify(event)).not.toContain('Hello');
    const text = await app.metrics.registry.metrics();
    expect(text).toContain('rampart_tokens_total{provider="stub",model="chat",kind="prompt"} 7');
  });

  it('a refusal after the alias resolved leaves its event with the refusal code', async () => {
    const app = recordApp(() => Promise.reject(gatewayError('upstream.rate_limited')));
    await app.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chatBody() });
    await vi.waitFor(() => expect(app.usage).toHaveLength(1));
    expect(app.usage[0]).toMatchObject({ status: 503, outcome: 'upstream.rate_limited' });
  });

  it('a refusal before any model was chosen leaves no usage event', async () => {
    const app = recordApp(json);
    await app.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody({ model: 'nope' }),
    });
    expect(app.usage).toEqual([]);
  });
});
