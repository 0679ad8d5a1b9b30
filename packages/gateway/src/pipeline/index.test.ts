import { describe, expect, it } from 'vitest';
import { gatewayStages } from './index.js';
import { planPhases } from './phases.js';
import { pipelineApp, stubProvider, routerFor } from './pipeline.test-helpers.js';
import { validateConfig } from '../config/index.js';
import { createMetrics } from '../monitor/metrics.js';
import { getEventListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { chatBody } from './pipeline.test-helpers.js';

describe('the stage list', () => {
  it('is, in full and in this order: limits, authenticate, authorize, parse, proxy, record', () => {
    const stages = gatewayStages({
      config: validateConfig({}),
      router: routerFor(stubProvider()),
      metrics: createMetrics({ defaultMetrics: false }),
      usage: { add: () => undefined },
      isDraining: () => false,
    });
    expect(stages.map((stage) => stage.name)).toEqual([
      'limits',
      'authenticate',
      'authorize',
      'parse',
      'proxy',
      'record',
    ]);
  });

  it('must have one decoder, one forwarder and no name twice', () => {
    const decode = (text: string): unknown => text;
    const forward = () => Promise.reject(new Error('unused'));
    expect(() => planPhases([{ name: 'limits', decode }])).toThrow(/forward/);
    expect(() => planPhases([{ name: 'proxy', forward }])).toThrow(/decode/);
    expect(() =>
      planPhases([
        { name: 'limits', decode },
        { name: 'limits', forward },
      ]),
    ).toThrow(/twice/);
    expect(() =>
      planPhases([
        { name: 'limits', decode, forward },
        { name: 'proxy', forward },
      ]),
    ).toThrow(/exactly one stage must implement forward/);
  });
});

describe('exchange signals', () => {
  it('1,000 requests abandoned by their clients add no listener to the shutdown signal', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning);
    process.on('warning', onWarning);
    const t = pipelineApp({
      provider: stubProvider({
        json: (_body, signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason as Error));
          }),
      }),
    });
    const listeners = () => getEventListeners(t.shutdown.signal, 'abort').length;
    const before = listeners();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    let during = 0;
    for (let i = 0; i < 1000; i += 100) {
      const clients = Array.from({ length: 100 }, () => new AbortController());
      const sent = clients.map((client) =>
        fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(chatBody()),
          signal: client.signal,
        }).catch(() => undefined),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      during = Math.max(during, listeners());
      for (const client of clients) client.abort();
      await Promise.all(sent);
    }
    await t.app.close();
    process.off('warning', onWarning);
    expect(before).toBe(1);
    expect(during).toBe(1);
    expect(listeners()).toBe(1);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('shutdown aborts every open exchange with its reason', async () => {
    const t = pipelineApp({
      provider: stubProvider({
        json: (_body, signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason as Error));
          }),
      }),
    });
    const pending = Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chatBody() }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const { gatewayError } = await import('../errors.js');
    t.shutdown.abort(gatewayError('server.shutting_down'));
    const responses = await pending;
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(503));
    await t.app.close();
  });
});
