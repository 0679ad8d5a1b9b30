import { createCredentials, type Credentials } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gatewayStages } from './index.js';
import { planPhases } from './phases.js';
import { pipelineApp, stubProvider, routerFor, untilAborted } from './pipeline.test-helpers.js';
import { validateConfig } from '../config/index.js';
import { createMetrics } from '../monitor/metrics.js';
import { getEventListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { chatBody } from './pipeline.test-helpers.js';

describe('the stage list', () => {
  it('is, in full and in this order: limits, authenticate, attest, authorize, parse, meter, proxy, record', () => {
    const stages = gatewayStages({
      config: validateConfig({
        auth: {
          issuers: [
            {
              issuer: 'https://id.example.com/',
              jwksUri: 'https://id.example.com/jwks',
              audiences: ['a'],
            },
          ],
        },
      }),
      router: routerFor(stubProvider()),
      metrics: createMetrics({ defaultMetrics: false }),
      usage: { add: () => undefined },
      isDraining: () => false,
    });
    expect(stages.map((stage) => stage.name)).toEqual([
      'limits',
      'authenticate',
      'attest',
      'authorize',
      'parse',
      'meter',
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
  // The gateway's own stage list, authenticate included: every /v1 request carries credentials.
  let credentials: Credentials;
  beforeAll(async () => {
    credentials = await createCredentials({ publicUrl: 'https://rampart.test', roles: ['tester'] });
  });
  afterAll(() => credentials.close());
  const CHAT = '/v1/chat/completions';

  it('1,000 requests abandoned by their clients add no listener to the shutdown signal', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning);
    process.on('warning', onWarning);
    const t = pipelineApp({
      credentials,
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
      const headers = await Promise.all(clients.map(() => credentials.headers('POST', CHAT)));
      const sent = clients.map((client, n) =>
        fetch(`http://127.0.0.1:${port}${CHAT}`, {
          method: 'POST',
          headers: { ...headers[n], 'content-type': 'application/json' },
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
    const provider = stubProvider({ json: (_body, signal) => untilAborted(signal) });
    const t = pipelineApp({ credentials, provider });
    const headers = await Promise.all(
      Array.from({ length: 20 }, () => credentials.headers('POST', CHAT)),
    );
    const pending = Promise.all(
      headers.map((credential) =>
        t.app.inject({ method: 'POST', url: CHAT, headers: credential, payload: chatBody() }),
      ),
    );
    // Every exchange open at the upstream (past authenticate) before the shutdown.
    await vi.waitFor(() => expect(provider.sent).toHaveLength(20));
    const { gatewayError } = await import('../errors.js');
    t.shutdown.abort(gatewayError('server.shutting_down'));
    const responses = await pending;
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(503));
    await t.app.close();
  });
});
