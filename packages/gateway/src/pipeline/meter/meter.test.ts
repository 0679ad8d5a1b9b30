import { createCredentials, type Credentials } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  chatBody,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import {
  CHAT,
  EMBED,
  PUBLIC_URL,
  decisions,
  perUser,
  send,
  statuses,
} from './meter.test-helpers.js';

/*
 * The meter stage in the gateway's own stage list, authentication on (testkit credentials
 * verified by the real authenticate stage), counters in memory. Store failures and service
 * keys: failure.test.ts; Redis: test/meter/.
 */

let alice: Credentials;
let alicePhone: Credentials;
let bob: Credentials;
let freeUser: Credentials;
beforeAll(async () => {
  alice = await createCredentials({ publicUrl: PUBLIC_URL, roles: ['tester'] });
  const issuer = alice.issuer;
  // Same person, second device: another DPoP key, so another `device`.
  alicePhone = await createCredentials({ publicUrl: PUBLIC_URL, issuer, roles: ['tester'] });
  bob = await createCredentials({
    publicUrl: PUBLIC_URL,
    issuer,
    subject: 'user-2',
    roles: ['tester'],
  });
  freeUser = await createCredentials({
    publicUrl: PUBLIC_URL,
    issuer,
    subject: 'user-3',
    roles: ['tester', 'free'],
  });
});
afterAll(() => alice.close());

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

function meterApp(limits: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  t = pipelineApp({ credentials: alice, config: { meter: { limits }, ...extra } });
  return t;
}

describe('request windows', () => {
  it('a subject over its window is refused, and another subject is not held back by it', async () => {
    const app = meterApp([perUser]);
    expect(await statuses(app, alice, 5)).toEqual([200, 200, 200, 429, 429]);
    // A second device of the same subject shares the subject's window.
    expect(await statuses(app, alicePhone, 1)).toEqual([429]);
    expect(await statuses(app, bob, 3)).toEqual([200, 200, 200]);
  });

  it('a device limit counts each device apart, even for one subject', async () => {
    const app = meterApp([{ name: 'per-device', key: ['device'], requests: 2, windowSeconds: 60 }]);
    expect(await statuses(app, alice, 3)).toEqual([200, 200, 429]);
    expect(await statuses(app, alicePhone, 3)).toEqual([200, 200, 429]);
  });

  it('an IP limit counts every caller behind one address together', async () => {
    const app = meterApp([{ name: 'per-ip', key: ['ip'], requests: 2, windowSeconds: 60 }]);
    expect(await statuses(app, alice, 1, { ip: '203.0.113.7' })).toEqual([200]);
    expect(await statuses(app, bob, 2, { ip: '203.0.113.7' })).toEqual([200, 429]);
    expect(await statuses(app, bob, 1, { ip: '203.0.113.8' })).toEqual([200]);
  });

  it('a client cannot leave its IP limit by forging X-Forwarded-For; a trusted proxy can name the client', async () => {
    const app = meterApp([{ name: 'per-ip', key: ['ip'], requests: 1, windowSeconds: 60 }], {
      server: { publicUrl: PUBLIC_URL, trustedProxies: ['192.0.2.1'] },
    });
    const from = async (ip: string, forwarded: string) =>
      (
        await app.app.inject({
          method: 'POST',
          url: CHAT,
          headers: { ...(await alice.headers('POST', CHAT)), 'x-forwarded-for': forwarded },
          payload: chatBody(),
          remoteAddress: ip,
        })
      ).statusCode;
    expect(await from('203.0.113.7', '198.51.100.1')).toBe(200);
    expect(await from('203.0.113.7', '198.51.100.2')).toBe(429);
    // Through the trusted proxy, each forwarded client has its own count.
    expect(await from('192.0.2.1', '198.51.100.1')).toBe(200);
    expect(await from('192.0.2.1', '198.51.100.2')).toBe(200);
    expect(await from('192.0.2.1', '198.51.100.2')).toBe(429);
  });

  it('an alias limit counts each model apart, and an aliases filter leaves other models alone', async () => {
    const app = meterApp([
      { name: 'per-model', key: ['subject', 'alias'], requests: 1, windowSeconds: 60 },
      { name: 'chat-only', key: ['ip'], requests: 2, windowSeconds: 60, aliases: ['chat'] },
    ]);
    expect(await statuses(app, alice, 2)).toEqual([200, 429]);
    expect(await statuses(app, alice, 2, { url: EMBED })).toEqual([200, 429]);
    // chat-only has seen two chat requests (one refused by per-model, counted all the same).
    expect(await statuses(app, bob, 1)).toEqual([429]);
    expect((await send(app, bob, { url: EMBED })).statusCode).toBe(200);
  });

  it('a limit for a role binds its holders only', async () => {
    const app = meterApp([
      { name: 'free-tier', key: ['subject'], requests: 1, windowSeconds: 60, roles: ['free'] },
    ]);
    expect(await statuses(app, freeUser, 2)).toEqual([200, 429]);
    expect(await statuses(app, alice, 3)).toEqual([200, 200, 200]);
  });

  it('a limit for unattested callers binds requests without attestation; one for attested callers does not', async () => {
    const app = meterApp([
      {
        name: 'attested',
        key: ['subject'],
        requests: 1,
        windowSeconds: 60,
        attestation: 'attested',
      },
      {
        name: 'unattested',
        key: ['subject'],
        requests: 2,
        windowSeconds: 60,
        attestation: 'unattested',
      },
    ]);
    const first = await send(app, alice);
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit']).toBe('"unattested";r=1;t=60');
    expect(await statuses(app, alice, 2)).toEqual([200, 429]);
    const counted = await decisions(app);
    expect(counted['attested/allowed']).toBe(0);
    expect(counted['unattested/allowed']).toBe(2);
    expect(counted['unattested/limited']).toBe(1);
  });

  it('models listings are not metered', async () => {
    const app = meterApp([{ ...perUser, requests: 1 }]);
    for (let i = 0; i < 3; i++) {
      const response = await app.app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: await alice.headers('GET', '/v1/models'),
      });
      expect(response.statusCode).toBe(200);
    }
    expect(await statuses(app, alice, 2)).toEqual([200, 429]);
  });
});

describe('answers', () => {
  it('a refusal is 429 problem+json with its code, the limit, Retry-After and the RateLimit headers', async () => {
    const app = meterApp([{ ...perUser, requests: 1 }]);
    await send(app, alice);
    const response = await send(app, alice);
    expect(response.statusCode).toBe(429);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const problem = response.json<Record<string, unknown>>();
    expect(problem).toMatchObject({
      type: 'urn:rampart:error:meter.rate_limited',
      status: 429,
      code: 'meter.rate_limited',
      limit: 'per-user',
      retryAfter: 60,
      error: { code: 'meter.rate_limited', type: 'meter' },
    });
    expect(response.headers['retry-after']).toBe('60');
    expect(response.headers['ratelimit-policy']).toBe('"per-user";q=1;w=60');
    expect(response.headers['ratelimit']).toBe('"per-user";r=0;t=60');
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(response.headers['x-ratelimit-reset-requests']).toBe('1m0s');
    // No subject, key or count of anybody else in the answer.
    expect(response.body).not.toContain('user-1');
  });

  it('an admitted answer carries the most constrained limit in the IETF and OpenAI headers', async () => {
    const app = meterApp([
      { name: 'hourly', key: ['subject'], requests: 100, windowSeconds: 3600 },
      { name: 'burst', key: ['subject'], requests: 3, windowSeconds: 10 },
    ]);
    const response = await send(app, alice);
    expect(response.statusCode).toBe(200);
    expect(response.headers['ratelimit-policy']).toBe('"burst";q=3;w=10');
    expect(response.headers['ratelimit']).toBe('"burst";r=2;t=10');
    expect(response.headers['x-ratelimit-limit-requests']).toBe('3');
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('2');
    expect(response.headers['x-ratelimit-reset-requests']).toBe('10s');
    expect(response.json<Record<string, unknown>>()['object']).toBe('chat.completion');
  });

  it('every decision is counted per limit and outcome, never per caller', async () => {
    const app = meterApp([{ ...perUser, requests: 1 }]);
    await statuses(app, alice, 3);
    expect(await decisions(app)).toEqual({
      'per-user/allowed': 1,
      'per-user/limited': 2,
      'per-user/fail_open': 0,
      'per-user/unavailable': 0,
    });
    const text = await app.metrics.registry.metrics();
    expect(text).not.toContain('user-1');
  });

  it('with no limits configured, answers carry no rate-limit header', async () => {
    const app = meterApp([]);
    const response = await send(app, alice);
    expect(response.statusCode).toBe(200);
    expect(response.headers['ratelimit']).toBeUndefined();
    expect(response.headers['x-ratelimit-limit-requests']).toBeUndefined();
  });
});

describe('anonymous /v1', () => {
  it('an IP limit applies with authentication off', async () => {
    t = pipelineApp({
      provider: stubProvider(),
      config: {
        meter: { limits: [{ name: 'per-ip', key: ['ip'], requests: 1, windowSeconds: 5 }] },
      },
    });
    const go = () => t?.app.inject({ method: 'POST', url: CHAT, payload: chatBody() });
    expect((await go())?.statusCode).toBe(200);
    expect((await go())?.statusCode).toBe(429);
  });
});
