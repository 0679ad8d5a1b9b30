import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_URL, hello, postJson, startHarness, type Harness } from './harness.js';

/**
 * The harness every HTTP test uses runs `/v1` with authentication on: these pin that it does,
 * so that no test of the proxy, streams or bad input passes because the stage was bypassed.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const CHAT = '/v1/chat/completions';

function rawAnswer(request: string): Promise<string> {
  const { port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let out = '';
    socket.on('data', (chunk: Buffer) => (out += chunk.toString()));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.write(request);
  });
}

describe('the HTTP harness runs /v1 with authentication on', () => {
  it('a /v1 request without credentials is refused 401 with a challenge, and reaches no upstream', async () => {
    const before = h.mock.requests.length;
    const response = await postJson(`${h.url}${CHAT}`, hello('chat'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="rampart", DPoP /);
    expect(await response.json()).toMatchObject({ code: 'auth.token_missing' });
    expect((await fetch(`${h.url}/v1/models`)).status).toBe(401);
    expect(h.mock.requests.length).toBe(before);
  });

  it('a DPoP-bound token with a fresh proof per request is accepted, streams included', async () => {
    for (const stream of [false, true]) {
      const response = await h.post(CHAT, hello('chat', { stream }));
      expect(response.status).toBe(200);
      await response.text();
    }
    expect((await h.fetch('/v1/models')).status).toBe(200);
  });

  it('the proof is checked: replayed, or for another path, it is refused', async () => {
    const headers = await h.auth('POST', CHAT);
    expect((await postJson(`${h.url}${CHAT}`, hello('chat'), headers)).status).toBe(200);
    const replayed = await postJson(`${h.url}${CHAT}`, hello('chat'), headers);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: 'auth.dpop_replayed' });
    const elsewhere = await postJson(
      `${h.url}${CHAT}`,
      hello('chat'),
      await h.auth('POST', '/v1/embeddings'),
    );
    expect(elsewhere.status).toBe(401);
    expect(await elsewhere.json()).toMatchObject({ code: 'auth.dpop_invalid' });
  });

  it('proofs name the configured public URL, not the port the gateway listens on', async () => {
    expect(h.gateway.config.server.publicUrl).toBe(PUBLIC_URL);
    const { dpop } = await h.auth('POST', `${h.url}${CHAT}`);
    const claims = JSON.parse(
      Buffer.from(dpop?.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({ htm: 'POST', htu: `${PUBLIC_URL}${CHAT}` });
  });

  it('an unbound bearer token on a request framed by hand is accepted', async () => {
    const body = JSON.stringify(hello('chat'));
    const answer = await rawAnswer(
      `POST ${CHAT} HTTP/1.1\r\nHost: a\r\nAuthorization: ${await h.bearer()}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('requests outside /v1 need no credentials', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${h.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${h.url}/nowhere`)).status).toBe(404);
  });
});
