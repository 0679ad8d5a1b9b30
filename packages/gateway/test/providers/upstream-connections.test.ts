import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { adHocUpstreams, chunk, startStream } from './ad-hoc.js';
import {
  callOptions,
  chatBody,
  expectCatalogue,
  failure,
  sleep,
  streamOutcome,
} from './helpers.js';

const { serve, provider } = adHocUpstreams();

describe('streams and connections', () => {
  it('yields each event as it arrives, before the stream ends', async () => {
    let release: () => void = () => undefined;
    const server = await serve((_req, res) => {
      startStream(res);
      res.write(chunk('first'));
      release = () => res.end(`${chunk('second')}data: [DONE]\n\n`);
    });
    const stream = await provider(server.origin).chatStream(chatBody(), callOptions());
    const iterator = stream.chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect((first.value as object[])[0]).toMatchObject({
      choices: [{ delta: { content: 'first' } }],
    });
    release();
    expect(((await iterator.next()).value as object[])[0]).toMatchObject({
      choices: [{ delta: { content: 'second' } }],
    });
    expect((await iterator.next()).done).toBe(true);
  });

  it('calls unparsable event data malformed and a stream without [DONE] interrupted', async () => {
    const garbage = await serve((_req, res) => {
      startStream(res);
      res.end('data: {nope\n\n');
    });
    expectCatalogue(
      (await streamOutcome(provider(garbage.origin), chatBody())).error,
      'upstream.malformed_response',
    );
    const cut = await serve((_req, res) => {
      startStream(res);
      res.end(chunk('partial'));
    });
    expectCatalogue(
      (await streamOutcome(provider(cut.origin), chatBody())).error,
      'upstream.stream_interrupted',
    );
  });

  it('times out a stream that goes silent between events', async () => {
    const server = await serve((_req, res) => {
      startStream(res);
      res.write(': comments keep it alive\n\n');
      res.write(chunk('one'));
    });
    const { chunks, error } = await streamOutcome(
      provider(server.origin, { bodyTimeoutMs: 200 }),
      chatBody(),
    );
    expect(chunks).toHaveLength(1);
    expectCatalogue(error, 'upstream.timeout');
  });

  it('closes the upstream connection promptly when the client aborts mid-stream', async () => {
    let served: Socket | undefined;
    const server = await serve((req, res) => {
      served = req.socket;
      startStream(res);
      res.write(chunk('one'));
    });
    const controller = new AbortController();
    const reason = new Error('client closed');
    const stream = await provider(server.origin).chatStream(
      chatBody(),
      callOptions(controller.signal),
    );
    const iterator = stream.chunks[Symbol.asyncIterator]();
    await iterator.next();
    expect(server.released(served!)).toBe(false);
    controller.abort(reason);
    await expect(iterator.next()).rejects.toBe(reason);
    await waitFor(() => server.released(served!), 500);
  });

  it('closes the upstream connection when the consumer stops reading early', async () => {
    let served: Socket | undefined;
    const server = await serve((req, res) => {
      served = req.socket;
      startStream(res);
      res.write(chunk('one'));
    });
    const stream = await provider(server.origin).chatStream(chatBody(), callOptions());
    const iterator = stream.chunks[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    await waitFor(() => server.released(served!), 500);
  });

  it('aborts a request still waiting for headers', async () => {
    let served: Socket | undefined;
    const server = await serve((req) => {
      served = req.socket;
    });
    const controller = new AbortController();
    const pending = failure(
      provider(server.origin).chat(chatBody(), callOptions(controller.signal)),
    );
    await waitFor(() => served !== undefined);
    controller.abort(new Error('gone'));
    expect(((await pending) as Error).message).toBe('gone');
    await waitFor(() => server.released(served!), 500);
  });

  it('reuses the connection after a completed stream', async () => {
    const ports = new Set<number>();
    const server = await serve((req, res) => {
      ports.add(req.socket.remotePort ?? 0);
      startStream(res);
      res.end(`${chunk('a')}data: [DONE]\n\n`);
    });
    const adapter = provider(server.origin);
    for (let i = 0; i < 3; i += 1) {
      expect((await streamOutcome(adapter, chatBody())).error).toBeUndefined();
      await sleep(5);
    }
    expect(ports.size).toBe(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
