import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isRampartError, type RampartError } from '@rampart/core';
import { expect } from 'vitest';
import type {
  CallOptions,
  JsonObject,
  Provider,
  ProviderSettings,
  ProviderType,
} from '../../src/providers/types.js';

/** Shaped like a real key so that any echo of it, or of its prefix, would be caught. */
export const KEY = 'sk-proj-TESTKEY0123456789abcdefSECRET';

export function settingsFor(
  type: ProviderType,
  origin: string,
  overrides: Partial<ProviderSettings> = {},
): ProviderSettings {
  return {
    name: `test-${type}`,
    type,
    baseUrl: `${origin}/v1`,
    apiKey: KEY,
    authHeader: type === 'anthropic' ? 'x-api-key' : 'bearer',
    query: {},
    headers: {},
    connectTimeoutMs: 1_000,
    headersTimeoutMs: 2_000,
    bodyTimeoutMs: 2_000,
    maxRetries: 0,
    maxResponseBytes: 1024 * 1024,
    capabilities: { streamUsage: true },
    ...overrides,
  };
}

export function callOptions(signal: AbortSignal = new AbortController().signal): CallOptions {
  return { signal, requestId: 'req-test' };
}

export const chatBody = (model = 'gpt-test', extra: JsonObject = {}): JsonObject => ({
  model,
  messages: [{ role: 'user', content: 'Say hello' }],
  ...extra,
});

/** Streams a chat completion to the end; returns the chunks or the error that ended it. */
export async function streamOutcome(
  provider: Provider,
  body: JsonObject,
  signal?: AbortSignal,
): Promise<{ chunks: JsonObject[]; error: unknown }> {
  const chunks: JsonObject[] = [];
  try {
    const stream = await provider.chatStream(body, callOptions(signal));
    for await (const batch of stream.chunks) chunks.push(...batch);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A catalogue error with that code, whose message, extensions and causes never hold the key. */
export function expectCatalogue(error: unknown, code: string): RampartError {
  expect(isRampartError(error), `not a RampartError: ${String(error)}`).toBe(true);
  const rampart = error as RampartError;
  expect(rampart.code).toBe(code);
  expectNoKey(rampart);
  return rampart;
}

export function expectNoKey(error: unknown): void {
  const seen: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth += 1) {
    if (e instanceof Error) {
      seen.push(e.message, e.stack ?? '', JSON.stringify(Object.entries(e)));
      e = e.cause;
    } else {
      seen.push(JSON.stringify(e) ?? '');
      e = undefined;
    }
  }
  const text = seen.join('\n');
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(KEY.slice(0, 12));
}

export interface AdHocServer {
  readonly origin: string;
  readonly port: number;
  /** Connections the client has not closed (a FIN from it counts as closed). */
  readonly sockets: Set<Socket>;
  /** Whether the client closed this connection (sent its FIN, or the socket is gone). */
  released(socket: Socket): boolean;
  close(): Promise<void>;
}

/** A tiny upstream for the cases the shared mock does not play. */
export async function startServer(handler: RequestListener): Promise<AdHocServer> {
  const server: Server = createServer(handler);
  const sockets = new Set<Socket>();
  const open = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    open.add(socket);
    // node:http keeps a half-closed socket open while its response is unfinished, so the
    // client's FIN ('end') is what shows that the client let go.
    socket.on('end', () => sockets.delete(socket));
    socket.on('close', () => {
      sockets.delete(socket);
      open.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    sockets,
    released: (socket) => !sockets.has(socket),
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that was just free: nothing listens on it, so connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = await startServer(() => undefined);
  await server.close();
  return server.port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
