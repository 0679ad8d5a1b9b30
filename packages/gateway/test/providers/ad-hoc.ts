import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach } from 'vitest';
import { createProvider } from '../../src/providers/index.js';
import type { Provider, ProviderSettings } from '../../src/providers/types.js';
import { settingsFor, startServer, type AdHocServer } from './helpers.js';

/**
 * Hand-written upstreams for cases the testkit mock does not play (a declared length it never
 * sends, a socket to watch), and an openai-compatible provider in front of them; everything a
 * test starts is closed after it.
 */
export function adHocUpstreams() {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function serve(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<AdHocServer> {
    const server = await startServer((req, res) => {
      req.resume();
      req.on('end', () => handler(req, res));
    });
    cleanups.push(() => server.close());
    return server;
  }

  function provider(origin: string, overrides: Partial<ProviderSettings> = {}): Provider {
    const created = createProvider(settingsFor('openai-compatible', origin, overrides));
    cleanups.push(() => created.close());
    return created;
  }

  return { serve, provider };
}

export const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;

export function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
}
