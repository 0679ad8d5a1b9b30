import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockIssuer, type MockIssuer } from '@rampart/testkit';
import { hello, readSse, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;

// One mock issuer for every harness of this file (minting its keys is the slow part of a start).
let issuer: MockIssuer;
beforeAll(async () => {
  issuer = await startMockIssuer();
});
afterAll(() => issuer.close());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('operations', () => {
  it('liveness, readiness and request ids', async () => {
    h = await startHarness({ issuer });
    const health = await fetch(`${h.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: 'ok' } });
    const a = (await fetch(`${h.url}/healthz`)).headers.get('x-request-id');
    const b = (await fetch(`${h.url}/healthz`)).headers.get('x-request-id');
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });

  it('readiness fails with problem+json when the database is gone', async () => {
    h = await startHarness({ issuer });
    await h.gateway.store.close();
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      code: 'server.not_ready',
      checks: { database: 'failing' },
    });
  });

  it('a client-chosen request id or forwarded address is ignored from untrusted peers', async () => {
    h = await startHarness({ issuer, config: { metrics: { allow: ['10.1.2.3/32'] } } });
    const response = await fetch(`${h.url}/metrics`, {
      headers: { 'x-forwarded-for': '10.1.2.3', 'x-request-id': 'forged-id' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).not.toBe('forged-id');
  });

  it('a trusted proxy sets the client address and request id', async () => {
    h = await startHarness({
      issuer,
      config: { server: { trustedProxies: ['127.0.0.1/32'] }, metrics: { allow: ['10.1.2.3/32'] } },
    });
    const response = await fetch(`${h.url}/metrics`, {
      headers: { 'x-forwarded-for': '10.1.2.3', 'x-request-id': 'lb-1234' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('lb-1234');
  });

  it('metrics carry route templates and codes, never a user, IP or path parameter', async () => {
    h = await startHarness({ issuer });
    await h.post('/v1/chat/completions', hello('nope'), { 'x-user': 'alice' });
    await fetch(`${h.url}/v1/unknown/alice@example.com`);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toContain('rampart_refusals_total{code="model.unknown_alias"} 1');
    expect(text).toContain('route="(unmatched)"');
    expect(text).not.toContain('alice');
    expect(text).not.toContain('127.0.0.1');
  });

  it('CORS: listed origins get headers and preflights; others are refused', async () => {
    h = await startHarness({
      issuer,
      config: { server: { cors: { origins: ['https://app.example.com'] } } },
    });
    const preflight = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('dpop');
    // A browser DPoP client reads the challenge and the server nonce to retry.
    expect(preflight.headers.get('access-control-expose-headers')).toContain('www-authenticate');
    expect(preflight.headers.get('access-control-expose-headers')).toContain('dpop-nonce');
    // The meter's state and changes are readable by a browser client too.
    expect(preflight.headers.get('access-control-expose-headers')).toContain('ratelimit-policy');
    expect(preflight.headers.get('access-control-expose-headers')).toContain('x-rampart-clamped');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-firebase-appcheck');
    const denied = await h.post('/v1/chat/completions', hello('chat'), {
      origin: 'https://evil.example',
    });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'cors.origin_denied' });
    expect(h.mock.requests).toHaveLength(0);
  });

  it('graceful shutdown lets an in-flight stream finish, then refuses new work', async () => {
    h = await startHarness({ issuer, mock: { streamChunks: 10, streamIntervalMs: 50 } });
    const inFlight = h.post('/v1/chat/completions', hello('chat', { stream: true }));
    const response = await inFlight;
    const closing = h.gateway.close();
    const events = await readSse(response);
    expect(events.at(-1)?.data).toBe('[DONE]');
    await closing;
    await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
  });

  it('a stream still running when the grace runs out ends with server.shutting_down', async () => {
    h = await startHarness({ issuer, config: { server: { shutdownGraceMs: 200 } } });
    const response = await h.post(
      '/v1/chat/completions',
      hello('fault-hang-mid-stream', { stream: true }),
    );
    const closing = h.gateway.close();
    const events = await readSse(response);
    expect(events.at(-1)?.event).toBe('error');
    expect(JSON.parse(events.at(-1)?.data ?? '{}')).toMatchObject({ code: 'server.shutting_down' });
    await closing;
  });

  it('the open-relay opt-in is logged at warn on every start', async () => {
    // Anonymous: the opt-in's subject is a /v1 without end-user authentication.
    h = await startHarness({ anonymous: true, config: { server: { allowUnauthenticated: true } } });
    const warning = h
      .logs()
      .split('\n')
      .filter((line) => line.includes('allowUnauthenticated'))
      .map((line) => JSON.parse(line) as { level: number });
    expect(warning).toEqual([expect.objectContaining({ level: 40 })]);
  });
});
