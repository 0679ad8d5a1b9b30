import { createCredentials, type Credentials } from '@rampart/testkit';
import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { gatewayError } from '../errors.js';
import { gatewayStages } from './index.js';
import {
  batches,
  chatBody,
  chunk,
  pipelineApp,
  spyStage,
  stubProvider,
  untilAborted,
  USAGE,
  type PipelineTestApp,
  type StubBehaviour,
} from './pipeline.test-helpers.js';

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

// The gateway's own stage list, authenticate included: every /v1 request carries credentials.
let credentials: Credentials;
beforeAll(async () => {
  credentials = await createCredentials({ publicUrl: 'https://rampart.test', roles: ['tester'] });
});
afterAll(() => credentials.close());

const CHAT = '/v1/chat/completions';
const auth = () => credentials.headers('POST', CHAT);

function withSpy(behaviour: StubBehaviour = {}, doneDelayMs = 0) {
  const spy = spyStage(doneDelayMs);
  t = pipelineApp({
    provider: stubProvider(behaviour),
    credentials,
    stages: (deps) => [...gatewayStages(deps), spy],
  });
  const dones = () => spy.calls.filter((call) => call.phase === 'done');
  return { spy, dones, app: t.app };
}

/**
 * Sends a request on a real socket and destroys it at the first response byte, or once
 * `cutWhen` resolves (the upstream has the request: past authenticate, whatever its pace).
 */
async function cutRequest(
  app: PipelineTestApp['app'],
  body: unknown,
  cutWhen: Promise<unknown> | 'first-byte',
): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const headers = { ...(await auth()), 'content-type': 'application/json' };
  await new Promise<void>((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: CHAT,
        headers,
      },
      (res) => {
        res.once('data', () => {
          if (cutWhen === 'first-byte') req.destroy();
        });
      },
    );
    req.on('error', () => undefined);
    req.on('close', () => resolve());
    req.end(JSON.stringify(body));
    if (cutWhen !== 'first-byte') void cutWhen.then(() => req.destroy());
  });
}

describe('the done phase runs exactly once per /v1 exchange', () => {
  it('a JSON answer: once, after the answer, with its status', async () => {
    const { dones, app } = withSpy();
    const response = await app.inject({
      method: 'POST',
      url: CHAT,
      headers: await auth(),
      payload: chatBody(),
    });
    expect(response.statusCode).toBe(200);
    await vi.waitFor(() => expect(dones()).toHaveLength(1));
    expect(dones()[0]?.ending).toEqual({ status: 200, outcome: undefined, refused: false });
  });

  it('a stream: once, after the last byte', async () => {
    const { dones, app } = withSpy();
    const response = await app.inject({
      method: 'POST',
      url: CHAT,
      headers: await auth(),
      payload: chatBody({ stream: true }),
    });
    expect(response.body).toContain('data: [DONE]');
    await vi.waitFor(() => expect(dones()).toHaveLength(1));
    expect(dones()[0]?.ending).toMatchObject({ status: 200, outcome: undefined });
  });

  it('a refusal by a stage: once, and awaited before the problem is written', async () => {
    const { dones, app } = withSpy({}, 30);
    const order: string[] = [];
    app.addHook('onSend', (_request, _reply, payload, done) => {
      order.push(`send after ${dones().length} done`);
      done(null, payload);
    });
    const response = await app.inject({
      method: 'POST',
      url: CHAT,
      headers: await auth(),
      payload: chatBody({ model: 'nope' }),
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'model.unknown_alias' });
    expect(order).toEqual(['send after 1 done']);
    expect(dones()[0]?.ending).toEqual({
      status: 404,
      outcome: 'model.unknown_alias',
      refused: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dones()).toHaveLength(1);
  });

  it('a refusal by authenticate (no credentials): once, before the answer, with its code', async () => {
    const { dones, app } = withSpy();
    const response = await app.inject({ method: 'POST', url: CHAT, payload: chatBody() });
    expect(response.statusCode).toBe(401);
    expect(dones()).toHaveLength(1);
    expect(dones()[0]?.ending).toEqual({
      status: 401,
      outcome: 'auth.token_missing',
      refused: true,
    });
    expect(dones()[0]?.exchange.principal).toBeUndefined();
  });

  it.each([
    [
      '413 body too large',
      'application/json',
      'x'.repeat(28 * 1024 * 1024 + 1), // above the default limits.maxChatBodyBytes
      413,
      'request.body_too_large',
    ],
    ['415 not JSON', 'text/plain', 'hello', 415, 'request.unsupported_media_type'],
    ['400 malformed JSON', 'application/json', '{"model":', 400, 'request.malformed_json'],
  ])(
    "Fastify's own refusal (%s): once, before the answer",
    async (_name, type, payload, status, code) => {
      const { dones, app } = withSpy();
      const response = await app.inject({
        method: 'POST',
        url: CHAT,
        headers: { ...(await auth()), 'content-type': type },
        payload,
      });
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({ code });
      expect(dones()).toHaveLength(1);
      expect(dones()[0]?.ending).toEqual({ status, outcome: code, refused: true });
    },
  );

  it('a request timeout while the body arrives (408, written by Node on the socket): once, first', async () => {
    const spy = spyStage(50);
    t = pipelineApp({
      config: { server: { headersTimeoutMs: 400, requestTimeoutMs: 400 } },
      credentials,
      stages: (deps) => [...gatewayStages(deps), spy],
    });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    const dones = () => spy.calls.filter((call) => call.phase === 'done');
    const { authorization, dpop } = await auth();
    const answer = await new Promise<{ text: string; donesAtArrival: number }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      let donesAtArrival = -1;
      socket.on('data', (chunk) => {
        if (donesAtArrival < 0) donesAtArrival = dones().length;
        text += chunk.toString();
      });
      socket.on('close', () => resolve({ text, donesAtArrival }));
      socket.on('error', () => undefined);
      socket.write(
        `POST ${CHAT} HTTP/1.1\r\nHost: a\r\nAuthorization: ${authorization}\r\nDPoP: ${dpop}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model":`,
      );
    });
    expect(answer.text).toMatch(/^HTTP\/1\.1 408/);
    expect(answer.text).toContain('request.timeout');
    expect(answer.donesAtArrival).toBe(1);
    expect(dones()).toHaveLength(1);
    expect(dones()[0]?.ending).toEqual({ status: 408, outcome: 'request.timeout', refused: true });
    expect(answer.text).toContain(dones()[0]?.exchange.requestId ?? 'missing');
  });

  it('an upstream error: once, with the upstream code', async () => {
    const { dones, app } = withSpy({
      json: () => Promise.reject(gatewayError('upstream.server_error')),
    });
    const response = await app.inject({
      method: 'POST',
      url: CHAT,
      headers: await auth(),
      payload: chatBody(),
    });
    expect(response.statusCode).toBe(502);
    expect(dones()).toHaveLength(1);
    expect(dones()[0]?.ending).toMatchObject({ outcome: 'upstream.server_error', refused: true });
  });

  it('the client leaves before the first byte: once, 499 request.client_closed', async () => {
    const upstreamAborted = vi.fn();
    let reached: () => void = () => undefined;
    const atUpstream = new Promise<void>((resolve) => (reached = resolve));
    const { dones, app } = withSpy({
      json: (_body, signal) => {
        signal.addEventListener('abort', upstreamAborted);
        reached();
        return untilAborted(signal);
      },
    });
    await cutRequest(app, chatBody(), atUpstream);
    await vi.waitFor(() => expect(dones()).toHaveLength(1));
    expect(dones()[0]?.ending).toMatchObject({ status: 499, outcome: 'request.client_closed' });
    expect(upstreamAborted).toHaveBeenCalledOnce();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dones()).toHaveLength(1);
  });

  it('the client leaves after the first byte of a stream: once, 499, usage known so far kept', async () => {
    let seen = 0;
    const { dones, app } = withSpy({
      stream: async function* (_body, signal) {
        seen = 1;
        yield [chunk('first')];
        await untilAborted(signal);
      },
      streamUsage: () => (seen > 0 ? USAGE : undefined),
    });
    await cutRequest(app, chatBody({ stream: true }), 'first-byte');
    await vi.waitFor(() => expect(dones()).toHaveLength(1));
    expect(dones()[0]?.ending).toMatchObject({ status: 499, outcome: 'request.client_closed' });
    expect(dones()[0]?.exchange.usage).toEqual(USAGE);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dones()).toHaveLength(1);
  });

  it('shutdown ends a running stream: once, with server.shutting_down', async () => {
    let streaming: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (streaming = resolve));
    const { dones, app } = withSpy({
      stream: async function* (_body, signal) {
        yield* batches('first');
        streaming();
        await untilAborted(signal);
      },
    });
    const pending = app.inject({
      method: 'POST',
      url: CHAT,
      headers: await auth(),
      payload: chatBody({ stream: true }),
    });
    // Once the stream runs (past authenticate, whatever the machine's pace).
    await started;
    t?.shutdown.abort(gatewayError('server.shutting_down', 'The gateway is shutting down.'));
    const response = await pending;
    expect(response.body).toContain('event: error');
    expect(response.body).toContain('server.shutting_down');
    await vi.waitFor(() => expect(dones()).toHaveLength(1));
    expect(dones()[0]?.ending).toMatchObject({ status: 200, outcome: 'server.shutting_down' });
  });

  it('routes outside /v1 never pass through the stages', async () => {
    const { spy, app } = withSpy();
    for (const url of ['/healthz', '/readyz', '/metrics', '/nope', '/v1/nope']) {
      await app.inject({ method: 'GET', url });
    }
    expect(spy.calls).toEqual([]);
  });
});
