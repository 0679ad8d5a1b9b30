/**
 * The servers under test, one process each, pinned to the servers' core: the mock upstream and
 * the three things put in front of it. Each scenario starts its own fresh mock.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CPU, atExit, spawnPinned, stopChild } from './procs.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_MAIN = join(ROOT, 'packages/testkit/dist/main.js');
const BARE_PROXY = fileURLToPath(new URL('./bare-proxy.js', import.meta.url));
const RAMPART_BIN = join(ROOT, 'packages/cli/bin/rampart.js');
const RAMPART_DIST = join(ROOT, 'packages/cli/dist/main.js');
const PORTKEY_MAIN = join(
  ROOT,
  'bench/peers/node_modules/@portkey-ai/gateway/build/start-server.js',
);
const CHAT_PATH = '/v1/chat/completions';

/**
 * @typedef {{ url: string, headers: Record<string, string> }} Target  where requests go
 * @typedef {{ name: string, command: string, stop: () => Promise<void> }} Running
 * @typedef {{ mockPort: number, chunks: number }} Context
 * @typedef {{
 *   id: string, name: string, unavailable: () => string | undefined,
 *   start: (ctx: Context) => Promise<Running & { target: Target }>
 * }} Scenario
 */

/** @type {readonly Scenario[]} */
export const SCENARIOS = [
  {
    id: 'a',
    name: 'mock upstream (direct)',
    unavailable: () => undefined,
    start: ({ mockPort }) =>
      Promise.resolve({
        name: 'mock upstream',
        command: 'none (the mock itself)',
        stop: () => Promise.resolve(),
        target: { url: `http://127.0.0.1:${mockPort}${CHAT_PATH}`, headers: {} },
      }),
  },
  {
    id: 'b',
    name: 'bare Node proxy',
    unavailable: () => undefined,
    start: async ({ mockPort }) => {
      const port = await freePort();
      const args = [
        BARE_PROXY,
        '--port',
        String(port),
        '--upstream',
        `http://127.0.0.1:${mockPort}`,
      ];
      const server = await startServer('bare proxy', args, port);
      return { ...server, target: { url: `http://127.0.0.1:${port}${CHAT_PATH}`, headers: {} } };
    },
  },
  {
    id: 'c',
    name: 'Rampart',
    unavailable: () =>
      existsSync(RAMPART_DIST) ? undefined : 'the CLI is not built (run `npx tsc -b`)',
    start: async ({ mockPort }) => {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-'));
      const removeDir = atExit(() => rmSync(dir, { recursive: true, force: true }));
      const config = join(dir, 'rampart.yaml');
      writeFileSync(config, rampartConfig(mockPort, port));
      const env = { RAMPART_DATA_DIR: join(dir, 'data') };
      const args = [RAMPART_BIN, 'serve', '--config', config];
      try {
        const server = await startServer('rampart', args, port, env);
        const stop = () => server.stop().finally(removeDir);
        const target = { url: `http://127.0.0.1:${port}${CHAT_PATH}`, headers: {} };
        return { ...server, stop, target };
      } catch (error) {
        removeDir();
        throw error;
      }
    },
  },
  {
    id: 'd',
    name: 'Portkey gateway 1.15.2',
    unavailable: () =>
      existsSync(PORTKEY_MAIN) ? undefined : 'not installed (run `npm run bench:setup`)',
    start: async ({ mockPort }) => {
      const port = await freePort();
      const args = [PORTKEY_MAIN, `--port=${port}`, '--headless'];
      const server = await startServer('portkey', args, port);
      const headers = {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${mockPort}/v1`,
        authorization: 'Bearer dummy',
      };
      return { ...server, target: { url: `http://127.0.0.1:${port}${CHAT_PATH}`, headers } };
    },
  },
];

/** @returns {string | undefined} why the benchmark cannot run at all */
export function mockUnavailable() {
  return existsSync(MOCK_MAIN) ? undefined : `${MOCK_MAIN} is missing (run \`npx tsc -b\`)`;
}

/** @param {number} chunks SSE content chunks per streamed answer */
export async function startMock(chunks) {
  const port = await freePort();
  const args = [MOCK_MAIN, '--port', String(port), '--stream-chunks', String(chunks)];
  return { ...(await startServer('mock upstream', args, port)), port };
}

/**
 * @param {number} mockPort
 * @param {number} port
 */
function rampartConfig(mockPort, port) {
  return [
    'providers:',
    '  mock:',
    '    type: openai-compatible',
    `    baseUrl: http://127.0.0.1:${mockPort}/v1`,
    '    maxRetries: 0',
    'models:',
    '  bench:',
    '    provider: mock',
    '    model: bench',
    'server:',
    `  port: ${port}`,
    'log:',
    '  level: warn',
    '',
  ].join('\n');
}

/**
 * Starts `node args` on the servers' core and waits until it accepts connections on `port`.
 * @param {string} name
 * @param {string[]} args
 * @param {number} port
 * @param {Record<string, string>} [env]
 * @returns {Promise<Running>}
 */
async function startServer(name, args, port, env = {}) {
  const child = spawnPinned(CPU.servers, process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const command = `node ${args.map((a) => a.replace(ROOT, '')).join(' ')}`;
  const stop = () => stopChild(child);
  try {
    await waitForPort(port, child, 30_000);
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${name} did not start: ${reason}\n--- its output ---\n${output.trim()}`, {
      cause: error,
    });
  }
  return { name, command, stop };
}

/**
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} timeoutMs
 */
async function waitForPort(port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`it exited (${child.exitCode ?? child.signalCode})`);
    }
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`);
}

/** @param {number} port */
function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** @returns {Promise<number>} a port that was free a moment ago */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
