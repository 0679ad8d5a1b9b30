import { describe, expect, it } from 'vitest';
import { adHocUpstreams, chunk, startStream } from './ad-hoc.js';
import { KEY, callOptions, chatBody, expectCatalogue, failure, streamOutcome } from './helpers.js';

const { serve, provider } = adHocUpstreams();

describe('response bounds', () => {
  it('refuses a JSON body over maxResponseBytes by its declared length, without reading it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000000' });
      res.write('{"choices":[');
    });
    const error = await failure(
      provider(server.origin, { maxResponseBytes: 1000 }).chat(chatBody(), callOptions()),
    );
    expectCatalogue(error, 'upstream.response_too_large');
  });

  it('stops reading an undeclared JSON body once it passes maxResponseBytes', async () => {
    let written = 0;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // An endless body: only the bound can end this call.
      const pump = (): void => {
        while (!res.destroyed && res.write(`"${'x'.repeat(16 * 1024)}",`)) written += 1;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.write('{"choices":[');
      pump();
    });
    const error = await failure(
      provider(server.origin, { maxResponseBytes: 256 * 1024 }).chat(chatBody(), callOptions()),
    );
    expectCatalogue(error, 'upstream.response_too_large');
    expect(written * 16 * 1024).toBeLessThan(64 * 1024 * 1024);
  });

  it('ends a stream that grows past maxResponseBytes', async () => {
    const server = await serve((_req, res) => {
      startStream(res);
      for (let i = 0; i < 200; i += 1) res.write(chunk('y'.repeat(100)));
    });
    const { error } = await streamOutcome(
      provider(server.origin, { maxResponseBytes: 4096 }),
      chatBody(),
    );
    expectCatalogue(error, 'upstream.response_too_large');
  });

  it('calls a 200 with the wrong content type malformed', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    const error = await failure(provider(server.origin).chat(chatBody(), callOptions()));
    const rampart = expectCatalogue(error, 'upstream.malformed_response');
    expect(rampart.message).toContain('text/html');
    expectCatalogue(
      (await streamOutcome(provider(server.origin), chatBody())).error,
      'upstream.malformed_response',
    );
  });

  it('does not follow a redirect, which would carry the key elsewhere', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(307, { location: 'http://example.invalid/steal' });
      res.end();
    });
    const error = await failure(provider(server.origin).chat(chatBody(), callOptions()));
    expectCatalogue(error, 'upstream.malformed_response');
  });
});

describe('secrecy', () => {
  it('never repeats an upstream error message, even one quoting the key', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${KEY}. Internal host 10.0.0.7.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
            param: KEY,
          },
        }),
      );
    });
    const error = await failure(provider(server.origin).chat(chatBody(), callOptions()));
    const rampart = expectCatalogue(error, 'upstream.auth_failed');
    expect(rampart.message).toBe(
      'the upstream answered 401 (invalid_request_error, invalid_api_key)',
    );
  });

  it('drops an error code that looks like a key', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: KEY.slice(0, 20), code: 'sk-live-abc' } }));
    });
    const error = await failure(provider(server.origin).chat(chatBody(), callOptions()));
    const rampart = expectCatalogue(error, 'upstream.request_invalid');
    expect(rampart.message).toBe(
      'The AI provider refused this request as invalid. (the upstream answered 400)',
    );
    // Nothing from the hostile document: the defaults an OpenAI refusal would carry.
    expect(rampart.extensions).toEqual({
      error: { type: 'invalid_request_error', code: null, param: null },
    });
  });

  it('summarises a mid-stream error event by its type only', async () => {
    const server = await serve((_req, res) => {
      startStream(res);
      res.write(chunk('Hel'));
      res.end(`data: {"error":{"message":"key ${KEY} failed","type":"server_error"}}\n\n`);
    });
    const { chunks, error } = await streamOutcome(provider(server.origin), chatBody());
    expect(chunks).toHaveLength(1);
    const rampart = expectCatalogue(error, 'upstream.stream_interrupted');
    expect(rampart.message).toBe('the upstream sent an error event mid-stream (server_error)');
  });
});
