import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hello, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      limits: {
        maxBodyBytes: 64 * 1024,
        maxChatBodyBytes: 64 * 1024,
        maxHeaderCount: 40,
        maxJsonDepth: 16,
        maxMessages: 50,
      },
    },
  });
});
afterAll(async () => {
  await h.close();
});

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body['code']).toBe(code);
  expect(body['status']).toBe(status);
  expect(body['type']).toBe(`urn:rampart:error:${code}`);
  expect(typeof body['requestId']).toBe('string');
  expect((body['error'] as Record<string, unknown>)['code']).toBe(code);
  return body;
}

/** Sends raw bytes and returns the raw HTTP response text. */
function rawRequest(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.write(payload);
  });
}

const CHAT = '/v1/chat/completions';
const port = () => (h.gateway.app.server.address() as { port: number }).port;

/** The credential header lines of one request framed by hand (a fresh DPoP proof). */
async function authLines(method: string, path: string): Promise<string> {
  const { authorization, dpop } = await h.auth(method, path);
  return `Authorization: ${authorization}\r\nDPoP: ${dpop}\r\n`;
}

describe('bad input gets a clear 4xx problem+json, never a 500', () => {
  it('malformed JSON', async () => {
    const response = await h.fetch(CHAT, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "chat", "messages": [',
    });
    await expectProblem(response, 400, 'request.malformed_json');
  });

  it('an empty JSON body', async () => {
    const response = await h.fetch(CHAT, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    await expectProblem(response, 400, 'request.malformed_json');
  });

  it.each([
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
  ])('a wrong content type: %s', async (type) => {
    const response = await h.fetch(CHAT, {
      method: 'POST',
      headers: { 'content-type': type },
      body: JSON.stringify(hello('chat')),
    });
    await expectProblem(response, 415, 'request.unsupported_media_type');
  });

  it('a body without a content type', async () => {
    const response = await h.fetch(CHAT, {
      method: 'POST',
      body: new Blob([JSON.stringify(hello('chat'))]),
    });
    await expectProblem(response, 415, 'request.unsupported_media_type');
  });

  it('an oversized body', async () => {
    const response = await h.post(
      CHAT,
      hello('chat', { messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] }),
    );
    await expectProblem(response, 413, 'request.body_too_large');
  });

  it('an oversized body announced by content-length is refused before it is read', async () => {
    const text = await rawRequest(
      port(),
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${await authLines('POST', CHAT)}Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{`,
    );
    expect(text).toMatch(/^HTTP\/1.1 413/);
    expect(text).toContain('request.body_too_large');
  });

  it('the same oversized body without credentials is refused 401 first, before it is read', async () => {
    const text = await rawRequest(
      port(),
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{`,
    );
    expect(text).toMatch(/^HTTP\/1.1 401/);
    expect(text).toContain('auth.token_missing');
    // Closed, not kept alive: Node would otherwise read and discard the announced gigabyte.
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('an unknown model alias', async () => {
    const body = await expectProblem(
      await h.post(CHAT, hello('gpt-5-ultra')),
      404,
      'model.unknown_alias',
    );
    expect(String(body['detail'])).toContain('/v1/models');
  });

  it('an alias of the wrong kind', async () => {
    await expectProblem(await h.post(CHAT, hello('embed')), 400, 'model.wrong_kind');
  });

  it.each([
    ['a string where a number belongs', { temperature: 'hot' }, 'temperature'],
    ['a number out of range', { temperature: 9 }, 'temperature'],
    ['messages that are not an array', { messages: 'hi' }, 'messages'],
    ['an empty messages array', { messages: [] }, 'messages'],
    [
      'a message with an unknown role',
      { messages: [{ role: 'root', content: 'x' }] },
      'messages.0.role',
    ],
    ['stream that is not a boolean', { stream: 'yes' }, 'stream'],
    [
      'an unknown top-level parameter',
      { data_sources: [{ type: 'azure_search' }] },
      'data_sources',
    ],
    [
      'too many messages',
      { messages: Array.from({ length: 51 }, () => ({ role: 'user', content: 'x' })) },
      'messages',
    ],
  ])('bad parameter types: %s', async (_name, extra, path) => {
    const body = await expectProblem(
      await h.post(CHAT, hello('chat', extra)),
      400,
      'request.invalid_parameter',
    );
    const errors = body['errors'] as Array<{ path: string }>;
    expect(errors.some((e) => e.path.startsWith(path))).toBe(true);
  });

  it('a body that is not an object', async () => {
    await expectProblem(await h.post(CHAT, [1, 2, 3]), 400, 'request.invalid_parameter');
    await expectProblem(await h.post(CHAT, 'hello'), 400, 'request.invalid_parameter');
  });

  it('JSON nested deeper than the limit', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const response = await h.fetch(CHAT, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"model":"chat","messages":[{"role":"user","content":"x"}],"metadata":${deep}}`,
    });
    await expectProblem(response, 400, 'request.invalid_parameter');
  });

  it('a prototype-poisoning key', async () => {
    const response = await h.fetch(CHAT, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"chat","messages":[{"role":"user","content":"x"}],"__proto__":{"admin":true}}',
    });
    await expectProblem(response, 400, 'request.invalid_parameter');
  });

  it('a header flood (too many headers)', async () => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (let i = 0; i < 60; i++) headers[`x-flood-${i}`] = 'x';
    await expectProblem(
      await h.post(CHAT, hello('chat'), headers),
      431,
      'request.headers_too_large',
    );
  });

  it('headers larger than the byte limit', async () => {
    const text = await rawRequest(
      port(),
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`,
    );
    expect(text).toMatch(/^HTTP\/1.1 431/);
    expect(text).toContain('application/problem+json');
    expect(text).toContain('request.headers_too_large');
  });

  it('a request line that is not HTTP', async () => {
    const text = await rawRequest(port(), 'HELLO THERE\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1.1 400/);
    expect(text).toContain('request.bad_request');
  });

  it('a broken chunked body', async () => {
    const text = await rawRequest(
      port(),
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${await authLines('POST', CHAT)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n`,
    );
    expect(text).toMatch(/^HTTP\/1.1 400/);
  });

  it('an unknown route and a wrong method', async () => {
    await expectProblem(await fetch(`${h.url}/v1/nothing`), 404, 'route.not_found');
    const response = await h.fetch(CHAT);
    await expectProblem(response, 405, 'route.method_not_allowed');
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('the gateway is still up and serving after all of it', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const response = await h.post(CHAT, hello('chat'));
    expect(response.status).toBe(200);
    expect(h.logs()).not.toMatch(/"level":50/);
  });
});
