import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/index.js';
import { hello, startHarness, type Harness } from './harness.js';

/**
 * Body limits per route, with the defaults: chat admits a phone photo sent as a data URL (up to
 * one 20 MB image as base64), every other route keeps the small limit, and both are enforced
 * before the body is read.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const MiB = 1024 * 1024;

/** A chat request with one image sent inline as a data URL of about `dataUrlBytes`. */
function photoRequest(dataUrlBytes: number) {
  const base64 = Buffer.alloc(Math.ceil((dataUrlBytes * 3) / 4), 0xa5).toString('base64');
  return hello('chat', {
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this photo?' },
          { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${base64}` } },
        ],
      },
    ],
  });
}

/**
 * Sends only the headers of a POST declaring `contentLength` (with credentials unless
 * `anonymous`), and a few bytes of body: the answer can only come from the headers, since the
 * body never arrives.
 */
async function declareOnly(path: string, contentLength: number, anonymous = false) {
  const credentials = anonymous ? {} : await h.auth('POST', path);
  return new Promise<{ status: number; body: string; connection: string | undefined }>(
    (resolve, reject) => {
      const req = httpRequest(
        `${h.url}${path}`,
        {
          method: 'POST',
          headers: {
            ...credentials,
            'content-type': 'application/json',
            'content-length': String(contentLength),
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection });
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      req.write('{"model":');
    },
  );
}

describe('request body limits per route', () => {
  it('the defaults give chat room for one 20 MB image and keep 2 MiB elsewhere', () => {
    expect(DEFAULTS.limits.maxChatBodyBytes).toBeGreaterThanOrEqual(Math.ceil((20e6 * 4) / 3));
    expect(DEFAULTS.limits.maxBodyBytes).toBe(2 * MiB);
  });

  it('a chat request of 5 MB carrying a phone photo as a data URL is forwarded', async () => {
    const body = photoRequest(5_000_000);
    expect(JSON.stringify(body).length).toBeGreaterThan(DEFAULTS.limits.maxBodyBytes);
    const response = await h.post('/v1/chat/completions', body);
    expect(response.status).toBe(200);
    await response.json();
    const received = h.mock.requests.at(-1)?.body as { messages: unknown };
    expect(received.messages).toEqual(body.messages);
  });

  it('a chat body declared above the chat limit is refused with 413 before it is read', async () => {
    const { status, body } = await declareOnly(
      '/v1/chat/completions',
      DEFAULTS.limits.maxChatBodyBytes + 1,
    );
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ code: 'request.body_too_large' });
  });

  it('without credentials, the same declaration is refused 401 first and the connection closed, its body never read', async () => {
    // authenticate runs in the headers phase; body bounds apply only while a body is read.
    const { status, body, connection } = await declareOnly(
      '/v1/chat/completions',
      DEFAULTS.limits.maxChatBodyBytes + 1,
      true,
    );
    expect(status).toBe(401);
    expect(JSON.parse(body)).toMatchObject({ code: 'auth.token_missing' });
    expect(connection).toBe('close');
  });

  it('embeddings still refuse a body above 2 MiB, declared or sent', async () => {
    const declared = await declareOnly('/v1/embeddings', DEFAULTS.limits.maxBodyBytes + 1);
    expect(declared.status).toBe(413);
    const sent = await h.post('/v1/embeddings', {
      model: 'embed',
      input: 'x'.repeat(DEFAULTS.limits.maxBodyBytes),
    });
    expect(sent.status).toBe(413);
    expect(await sent.json()).toMatchObject({ code: 'request.body_too_large' });
  });
});
