import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hello, startHarness, type Harness } from './harness.js';

// app.inject is fastify's light-my-request. Its `cookies` option goes through the `cookie`
// package, which the root package.json pins (overrides) to a version whose engines accept
// Node 20: these tests prove that version works with it.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('in-process requests (app.inject)', () => {
  it('answers health and readiness without a socket', async () => {
    const health = await h.gateway.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const ready = await h.gateway.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });

  it('sends cookies given as an object, and the gateway does not forward them upstream', async () => {
    const response = await h.gateway.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: await h.auth('POST', '/v1/chat/completions'),
      payload: hello('chat'),
      cookies: { session: 'abc', theme: 'dark mode' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ object: string }>().object).toBe('chat.completion');
    const upstream = h.mock.requests.at(-1);
    expect(upstream?.headers['cookie']).toBeUndefined();
  });

  it('serialises cookies as the cookie package does, into one Cookie header', async () => {
    const app = Fastify();
    app.get('/echo', (request) => ({ cookie: request.headers.cookie }));
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/echo',
        cookies: { a: 'b', spaced: 'x y' },
      });
      expect(response.json()).toEqual({ cookie: 'a=b; spaced=x%20y' });
    } finally {
      await app.close();
    }
  });
});
