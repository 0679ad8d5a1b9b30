/**
 * The servers under test, one process each, pinned to the servers' core: the mock upstream and
 * the three things put in front of it. Each scenario starts its own fresh mock.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { BENCH_APP, createAppAttestCa, registerAppAttestKey } from './app-attest-client.js';
import { startIdentity } from './dpop-client.js';
import { CPU, atExit, spawnPinned, stopChild } from './procs.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_MAIN = join(ROOT, 'packages/testkit/dist/main.js');
const BARE_PROXY = fileURLToPath(new URL('./bare-proxy.js', import.meta.url));
const RAMPART_BIN = join(ROOT, 'packages/cli/bin/rampart.js');
const RAMPART_DIST = join(ROOT, 'packages/cli/dist/main.js');
const ATTESTED_SERVER = fileURLToPath(new URL('./attested-server.js', import.meta.url));
const PORTKEY_MAIN = join(
  ROOT,
  'bench/peers/node_modules/@portkey-ai/gateway/build/start-server.js',
);
const CHAT_PATH = '/v1/chat/completions';

/**
 * @typedef {{
 *   url: string, headers: Record<string, string>,
 *   dpop?: import('./dpop-client.js').DpopCredentials,
 *   appAttest?: import('./app-attest-client.js').AppAttestCredentials
 * }} Target  where requests go; with `dpop`, each request carries the token and a fresh proof;
 *   with `appAttest` too, an App Attest assertion (its `nextCounter` advances as requests are
 *   signed: see reserveCounters)
 * @typedef {{ name: string, command: string, pid?: number, stop: () => Promise<void> }} Running
 * @typedef {{ mockPort: number, chunks: number, nodeArgs?: string[] }} Context
 *   nodeArgs: Node options for Rampart (cpu.js profiles it with --cpu-prof)
 * @typedef {{
 *   id: string, name: string, unavailable: () => string | undefined | Promise<string | undefined>,
 *   start: (ctx: Context) => Promise<Running & { target: Target }>,
 *   latencyOnly?: string
 * }} Scenario  latencyOnly: why it has no throughput run (measured at 1 connection only)
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
    unavailable: rampartUnavailable,
    start: ({ mockPort, nodeArgs }) => startRampart(mockPort, { nodeArgs }),
  },
  {
    // Right after (c), so that the two Rampart rows are measured back to back.
    id: 'e',
    name: 'Rampart, DPoP token + proof',
    unavailable: rampartUnavailable,
    start: ({ mockPort, nodeArgs }) => startAuthenticatedRampart(mockPort, nodeArgs),
  },
  {
    // After (e), which it is compared with: what the meter stage adds, counters in memory.
    id: 'g',
    name: 'Rampart, DPoP + meter (memory)',
    unavailable: rampartUnavailable,
    start: ({ mockPort, nodeArgs }) =>
      startAuthenticatedRampart(mockPort, nodeArgs, { redis: false }),
  },
  {
    // The same with the counters (and so the DPoP replay cache) in the local Redis.
    id: 'h',
    name: 'Rampart, DPoP + meter (Redis)',
    unavailable: async () => rampartUnavailable() ?? (await redisUnavailable()),
    start: ({ mockPort, nodeArgs }) =>
      startAuthenticatedRampart(mockPort, nodeArgs, { redis: true }),
  },
  {
    // After (e), which it is compared with.
    id: 'f',
    name: 'Rampart, DPoP + App Attest assertion',
    unavailable: rampartUnavailable,
    latencyOnly: "one device's assertions are ordered by their counter",
    start: ({ mockPort, nodeArgs }) => startAttestedRampart(mockPort, nodeArgs),
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

/**
 * The (e) setup: `/v1` requires a DPoP-bound token from a mock issuer; with `meter`, the meter
 * stage also runs (meterConfig), its counters in memory or in the local Redis under a key
 * prefix of this run's own, deleted when the server stops.
 * @param {number} mockPort
 * @param {string[] | undefined} nodeArgs
 * @param {{ redis: boolean }} [meter]
 * @returns {Promise<Running & { target: Target }>}
 */
async function startAuthenticatedRampart(mockPort, nodeArgs, meter) {
  const port = await freePort();
  const htu = `http://127.0.0.1:${port}${CHAT_PATH}`;
  const { issuer, credentials } = await startIdentity(htu);
  try {
    const keyPrefix = meter?.redis === true ? benchKeyPrefix() : undefined;
    const server = await startRampart(mockPort, {
      port,
      issuer,
      ...(nodeArgs === undefined ? {} : { nodeArgs }),
      ...(meter === undefined ? {} : { extra: meterConfig(keyPrefix) }),
    });
    const stop = () =>
      server
        .stop()
        .finally(() => issuer.close())
        .finally(() => (keyPrefix === undefined ? undefined : deleteRedisKeys(keyPrefix)));
    return { ...server, stop, target: { ...server.target, dpop: credentials } };
  } catch (error) {
    await issuer.close();
    throw error;
  }
}

/**
 * The (g) and (h) meter section: limits an operator would set, each keyed on the bench token's
 * subject or device, with quotas far above what a run sends (a few thousand requests a second
 * for under a minute per scenario), so that nothing is refused and every row measures the
 * admitted path: a request window, a token window (estimated before the call, settled after
 * from the mock's usage), a stream concurrency limit (above the 32 connections) and a cap
 * (which sets `max_completion_tokens`, keeping the token estimate small).
 * @param {string} [redisKeyPrefix] counters in the local Redis under this prefix; unset: memory
 * @returns {string[]} YAML lines
 */
function meterConfig(redisKeyPrefix) {
  const redis =
    redisKeyPrefix === undefined
      ? []
      : ['redis:', `  url: ${REDIS_URL}`, `  keyPrefix: "${redisKeyPrefix}"`];
  return [
    'meter:',
    '  limits:',
    '    - { name: user-minute, key: [subject], requests: 10000000, windowSeconds: 60 }',
    '    - { name: device-tokens, key: [device], tokens: 100000000000, windowSeconds: 3600 }',
    '    - { name: user-streams, key: [subject], concurrentStreams: 1000 }',
    '  caps:',
    '    - { name: everyone, maxTokens: 1024, overMaxTokens: clamp, n: 1, logprobs: strip }',
    ...redis,
  ];
}

/** The Redis of (h): the local one, unless RAMPART_BENCH_REDIS_URL names another. */
const REDIS_URL = process.env['RAMPART_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix no other run or gateway sharing the Redis uses. */
function benchKeyPrefix() {
  return `rampart-bench-${process.pid}-${Date.now().toString(36)}:`;
}

/** @returns {Promise<string | undefined>} why (h) cannot run: Redis does not answer PING */
async function redisUnavailable() {
  const client = redisClient();
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch {
    return `Redis not reachable at ${REDIS_URL.replace(/\/\/[^@/]*@/, '//')}`;
  } finally {
    client.disconnect();
  }
}

/**
 * Deletes every key under `prefix` (SCAN, never KEYS: the Redis may be shared).
 * @param {string} prefix
 */
async function deleteRedisKeys(prefix) {
  const client = redisClient();
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

function redisClient() {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Failures reach the caller through the rejected command; without a listener ioredis would
  // also print each one as unhandled.
  client.on('error', () => {});
  return client;
}

function rampartUnavailable() {
  return existsSync(RAMPART_DIST) ? undefined : 'the CLI is not built (run `npx tsc -b`)';
}

/**
 * The (e) device plus an App Attest key registered with a gateway that requires App Attest on
 * `/v1` and trusts only the mock CA's root (attested-server.js).
 * @param {number} mockPort
 * @param {string[] | undefined} nodeArgs
 * @returns {Promise<Running & { target: Target }>}
 */
async function startAttestedRampart(mockPort, nodeArgs) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const { issuer, credentials } = await startIdentity(`${origin}${CHAT_PATH}`);
  try {
    const ca = await createAppAttestCa();
    const server = await startRampart(mockPort, {
      port,
      issuer,
      appAttestRootPem: ca.rootPem,
      ...(nodeArgs === undefined ? {} : { nodeArgs }),
    });
    const stop = () => server.stop().finally(() => issuer.close());
    try {
      const appAttest = await registerAppAttestKey(origin, credentials, ca);
      return { ...server, stop, target: { ...server.target, dpop: credentials, appAttest } };
    } catch (error) {
      await server.stop();
      throw error;
    }
  } catch (error) {
    await issuer.close();
    throw error;
  }
}

/**
 * `rampart serve` in front of the mock; with an issuer, `/v1` requires its tokens; with an App
 * Attest root, it is attested-server.js instead, requiring an App Attest assertion on `/v1`.
 * @param {number} mockPort
 * @param {{
 *   port?: number, issuer?: import('@rampart/testkit').MockIssuer, nodeArgs?: string[],
 *   appAttestRootPem?: string, extra?: string[]
 * }} options  extra: more YAML lines (top-level sections) for the config
 * @returns {Promise<Running & { target: Target }>}
 */
async function startRampart(
  mockPort,
  { port, issuer, nodeArgs = [], appAttestRootPem, extra = [] },
) {
  const listen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-'));
  const removeDir = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'rampart.yaml');
  const attested = appAttestRootPem !== undefined;
  writeFileSync(config, rampartConfig(mockPort, listen, issuer, attested, extra));
  const env = { RAMPART_DATA_DIR: join(dir, 'data') };
  let main = [RAMPART_BIN, 'serve', '--config', config];
  if (attested) {
    const rootFile = join(dir, 'app-attest-root.pem');
    writeFileSync(rootFile, appAttestRootPem);
    main = [ATTESTED_SERVER, '--config', config, '--app-attest-root', rootFile];
  }
  const args = [...nodeArgs, ...main];
  try {
    const server = await startServer('rampart', args, listen, env);
    const stop = () => server.stop().finally(removeDir);
    const target = { url: `http://127.0.0.1:${listen}${CHAT_PATH}`, headers: {} };
    return { ...server, stop, target };
  } catch (error) {
    removeDir();
    throw error;
  }
}

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
 * @param {import('@rampart/testkit').MockIssuer} [issuer]
 * @param {boolean} [attested] App Attest required on `/v1` (needs `issuer`: it binds to the
 *   DPoP key)
 * @param {string[]} [extra] more top-level YAML lines
 */
function rampartConfig(mockPort, port, issuer, attested = false, extra = []) {
  const auth =
    issuer === undefined
      ? // The unauthenticated row: authentication is on by default, so it is switched off.
        ['auth:', '  mode: none']
      : [
          'auth:',
          '  issuers:',
          `    - issuer: ${issuer.issuer}`,
          `      jwksUri: ${issuer.jwksUri}`,
          `      audiences: [${issuer.audience}]`,
          '  dpop:',
          // Every proof id is remembered for the proof window (maxAgeSeconds + twice the clock
          // skew: 120 s by default), and the runs send up to a few thousand a second.
          '    maxReplayEntries: 5000000',
          // Authorization denies by default: the bench token's role may use the bench alias.
          'authz:',
          '  roles:',
          '    bench:',
          '      - endpoints: [chat]',
          '        aliases: [bench]',
          '        features: [stream]',
        ];
  const attestation = attested
    ? [
        'attestation:',
        '  appleAppAttest:',
        `    teamId: ${BENCH_APP.teamId}`,
        `    bundleIds: [${BENCH_APP.bundleId}]`,
        '    environments: [development, production]',
        '  policy:',
        '    default: required',
      ]
    : [];
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
    // What the DPoP proofs' htu name (it is also the default for this address).
    `  publicUrl: http://127.0.0.1:${port}`,
    // Stopping is not measured: no readiness grace period.
    '  drainDelayMs: 0',
    ...auth,
    ...attestation,
    ...extra,
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
  // A profiled process writes its profile while it exits: give it time.
  const profiled = args.some((arg) => arg.startsWith('--cpu-prof'));
  const stop = () => stopChild(child, profiled ? 30_000 : 3000);
  try {
    await waitForPort(port, child, 30_000);
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${name} did not start: ${reason}\n--- its output ---\n${output.trim()}`, {
      cause: error,
    });
  }
  return { name, command, pid: child.pid, stop };
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
