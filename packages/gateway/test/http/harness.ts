import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  MOCK_FAULTS,
  startMockUpstream,
  type MockUpstream,
  type MockUpstreamOptions,
} from '@rampart/testkit';
import { validateConfig } from '../../src/config/index.js';
import { deepMerge } from '../../src/config/env.js';
import { createLogger } from '../../src/logging.js';
import { startGateway, type RunningGateway } from '../../src/server.js';

/** A synthetic provider key: tests assert it never shows up in a response or a log line. */
export const PROVIDER_KEY = 'sk-test-FAKEFAKEFAKEFAKEFAKEFAKE0123456789';

export interface Harness {
  readonly gateway: RunningGateway;
  readonly mock: MockUpstream;
  readonly url: string;
  /** Everything the gateway logged so far. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * A real gateway on a loopback port in front of the testkit's mock upstream, with model aliases
 * for each provider type and one alias per injectable fault (`fault-http-500` …).
 */
export async function startHarness(
  options: { config?: Record<string, unknown>; mock?: MockUpstreamOptions } = {},
): Promise<Harness> {
  const mock = await startMockUpstream(options.mock ?? {});
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-http-'));
  const fast = {
    apiKeyEnv: 'MOCK_KEY',
    maxRetries: 0,
    headersTimeoutMs: 1500,
    bodyTimeoutMs: 1500,
  };
  const faultModels = Object.fromEntries(
    MOCK_FAULTS.map((fault) => [`fault-${fault}`, { provider: 'mock', model: `fault:${fault}` }]),
  );
  const base = {
    dataDir,
    server: { port: 0, shutdownGraceMs: 2000, drainDelayMs: 0 },
    log: { level: 'debug' },
    providers: {
      mock: { type: 'openai-compatible', baseUrl: `${mock.url}/v1`, ...fast },
      claude: { type: 'anthropic', baseUrl: `${mock.url}/v1`, ...fast },
    },
    models: {
      chat: { provider: 'mock', model: 'upstream-chat' },
      embed: { provider: 'mock', model: 'upstream-embed', kind: 'embeddings' },
      claude: { provider: 'claude', model: 'claude-upstream' },
      ...faultModels,
    },
  };
  const config = validateConfig(deepMerge(base, options.config ?? {}));
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      captured += chunk.toString();
      callback();
    },
  });
  const gateway = await startGateway(config, {
    env: { MOCK_KEY: PROVIDER_KEY },
    logger: createLogger(config.log.level, sink),
    processMetrics: false,
  });
  return {
    gateway,
    mock,
    url: gateway.url,
    logs: () => captured,
    async close() {
      await gateway.close();
      await mock.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export const hello = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Hello' }],
  ...extra,
});

/** Reads an SSE body into events as they arrive. */
export async function readSse(
  response: Response,
): Promise<Array<{ event: string | undefined; data: string }>> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      return { event, data: data.join('\n') };
    });
}
