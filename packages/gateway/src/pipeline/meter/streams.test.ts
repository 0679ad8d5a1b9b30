import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCredentials, type Credentials } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { gatewayError } from '../../errors.js';
import type { JsonObject, Provider } from '../../providers/types.js';
import {
  chatBody,
  chunk,
  pipelineApp,
  stubProvider,
  untilAborted,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import { streamSlots } from './streams.js';

/*
 * Stream concurrency in memory: a slot is taken when a stream is admitted and given back exactly
 * once when the exchange ends — complete, cut by the client, cut by the upstream, or refused
 * after the slot was taken. Each test proves the slot came back by being admitted again with a
 * limit of one: a leaked slot would refuse it.
 */

const PUBLIC_URL = 'https://rampart.test';
const CHAT = '/v1/chat/completions';
const ONE_STREAM = [{ name: 'streams', key: ['subject'], concurrentStreams: 1 }];

let alice: Credentials;
let bob: Credentials;
beforeAll(async () => {
  alice = await createCredentials({ publicUrl: PUBLIC_URL, roles: ['tester'] });
  bob = await createCredentials({
    publicUrl: PUBLIC_URL,
    issuer: alice.issuer,
    subject: 'user-2',
    roles: ['tester'],
  });
});
afterAll(() => alice.close());

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

/** A gate the upstream stream waits at after its first chunk. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

function appWith(provider: Provider, limits: readonly Record<string, unknown>[] = ONE_STREAM) {
  t = pipelineApp({ credentials: alice, provider, config: { meter: { limits } } });
  return t;
}

async function stream(app: PipelineTestApp, who: Credentials = alice, extra = {}) {
  return app.app.inject({
    method: 'POST',
    url: CHAT,
    headers: await who.headers('POST', CHAT),
    payload: chatBody({ stream: true, ...extra }),
  });
}

describe('stream concurrency', () => {
  it('a second stream while one is open is refused with 429 meter.concurrency_limited; others are not', async () => {
    const held = gate();
    const provider = stubProvider({
      async *stream() {
        yield [chunk('a')];
        await held.opened;
        yield [chunk('b')];
      },
    });
    const app = appWith(provider);
    const first = stream(app);
    await vi.waitFor(() => expect(provider.sent).toHaveLength(1));
    const second = await stream(app);
    expect(second.statusCode).toBe(429);
    expect(second.json<Record<string, unknown>>()).toMatchObject({
      code: 'meter.concurrency_limited',
      limit: 'streams',
    });
    expect(second.headers['retry-after']).toBe('1');
    expect(second.headers['ratelimit-policy']).toBe('"streams";q=1;qu="concurrent-requests"');
    expect(second.headers['ratelimit']).toBe('"streams";r=0');
    // A request that does not stream takes no slot.
    const plain = await app.app.inject({
      method: 'POST',
      url: CHAT,
      headers: await alice.headers('POST', CHAT),
      payload: chatBody(),
    });
    expect(plain.statusCode).toBe(200);
    // Another subject has its own slots.
    const other = stream(app, bob);
    await vi.waitFor(() => expect(provider.sent).toHaveLength(3));
    held.open();
    expect((await first).statusCode).toBe(200);
    expect((await other).statusCode).toBe(200);
  });

  it('a slot comes back when a stream completes', async () => {
    const app = appWith(stubProvider());
    for (let i = 0; i < 5; i++) {
      const response = await stream(app);
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('data: [DONE]');
      expect(response.headers['ratelimit']).toBe('"streams";r=0');
    }
  });

  it('a slot comes back when the upstream fails mid-stream', async () => {
    const provider = stubProvider({
      async *stream() {
        yield [chunk('a')];
        await Promise.resolve();
        throw gatewayError('upstream.unreachable');
      },
    });
    const app = appWith(provider);
    for (let i = 0; i < 5; i++) {
      const response = await stream(app);
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('event: error');
    }
  });

  it('a slot comes back when the upstream refuses before the first byte', async () => {
    const base = stubProvider();
    const provider: Provider = {
      ...base,
      chatStream: () => Promise.reject(gatewayError('upstream.unreachable')),
    };
    const app = appWith(provider);
    // Each refusal ends the exchange; its slot is back before the next request.
    for (let i = 0; i < 3; i++) expect((await stream(app)).statusCode).toBe(502);
  });

  it('a stream refused by a request window holds no slot', async () => {
    const app = appWith(stubProvider(), [
      { name: 'streams-per-ip', key: ['ip'], concurrentStreams: 1 },
      { name: 'window', key: ['subject'], requests: 2, windowSeconds: 60 },
    ]);
    expect((await stream(app)).statusCode).toBe(200);
    expect((await stream(app)).statusCode).toBe(200);
    const refused = await stream(app);
    expect(refused.json<Record<string, unknown>>()).toMatchObject({ code: 'meter.rate_limited' });
    // Bob shares the IP's one slot: had the refused stream kept it, he would be refused.
    expect((await stream(app, bob)).statusCode).toBe(200);
  });

  it('a loop of streams aborted by their client never exhausts the slot', async () => {
    const upstreamClosed: Array<Promise<void>> = [];
    const provider = stubProvider({
      stream(_body: JsonObject, signal: AbortSignal) {
        let closed: () => void = () => undefined;
        upstreamClosed.push(new Promise((resolve) => (closed = resolve)));
        return (async function* () {
          yield [chunk('a')];
          try {
            await untilAborted(signal);
          } finally {
            closed();
          }
        })();
      },
    });
    const app = appWith(provider);
    await app.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.app.server.address() as AddressInfo;
    for (let i = 0; i < 25; i++) {
      // Every stream is admitted: a slot leaked by an earlier abort would make this a 429.
      expect(await openAndAbort(port, await alice.headers('POST', CHAT))).toBe(200);
      await upstreamClosed[i];
      // The exchange ends on the socket's close; let its `done` phases run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
});

/** Opens a stream over a real socket, reads its first bytes and leaves (destroys the socket). */
function openAndAbort(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: CHAT,
        headers: { ...headers, 'content-type': 'application/json', connection: 'close' },
        agent: false,
      },
      (response) => {
        response.once('data', () => {
          request.destroy();
          resolve(response.statusCode ?? 0);
        });
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    request.end(JSON.stringify(chatBody({ stream: true })));
  });
}

describe('memory slots', () => {
  it('a slot released twice is given back once', async () => {
    const slots = streamSlots({ name: 's', max: 2, leaseMs: 60_000 }, undefined);
    const a = await slots.acquire('k');
    const b = await slots.acquire('k');
    expect(a.outcome).toBe('allowed');
    expect(b.outcome).toBe('allowed');
    expect((await slots.acquire('k')).outcome).toBe('limited');
    if (a.outcome !== 'allowed') throw new Error('unreachable');
    await a.slot.release();
    await a.slot.release();
    expect((await slots.acquire('k')).outcome).toBe('allowed');
    expect((await slots.acquire('k')).outcome).toBe('limited');
  });
});
