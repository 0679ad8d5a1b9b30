/**
 * Gateway CPU per 1000 requests under a fixed load: a steadier figure than req/s on a shared
 * machine, since it counts the gateway's own CPU time (user + system, from /proc) rather than
 * what it managed to do in a given wall time. Rampart runs pinned to the servers' core; this
 * process is the load generator and should be pinned to the other one:
 *
 *   taskset -c 1 node bench/gateway-overhead/cpu.js [--stream] [--dpop | --attest | --meter KIND]
 *     [--amount 20000] [--repeat 5] [--connections 10] [--chunks 8] [--prof DIR]
 *     [--node-arg=--flag ...]
 *
 * --dpop: every request carries a DPoP-bound access token and a fresh proof (the (e) row).
 * --attest: and an App Attest assertion (the (f) row); one connection, whatever --connections
 *   says, since one device's assertions must arrive in counter order.
 * --meter memory|redis: DPoP plus the meter stage, counters in memory (the (g) row) or in the
 *   local Redis (the (h) row).
 * --prof DIR: Rampart runs with --cpu-prof and writes its profile into DIR when stopped.
 * --node-arg: a Node option for Rampart (repeatable), e.g. --node-arg=--max-semi-space-size=64.
 * Prints one line per run and the median. Linux only (/proc).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { reserveCounters, signRequestHeaders } from './app-attest-client.js';
import { requestBody, verifyTarget } from './load.js';
import { SCENARIOS, startMock } from './servers.js';
import { stopAll } from './procs.js';

const { values } = parseArgs({
  options: {
    stream: { type: 'boolean', default: false },
    dpop: { type: 'boolean', default: false },
    attest: { type: 'boolean', default: false },
    meter: { type: 'string' },
    amount: { type: 'string', default: '20000' },
    repeat: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    chunks: { type: 'string', default: '8' },
    prof: { type: 'string' },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const amount = Number(values.amount);
const chunks = Number(values.chunks);
const connections = values.attest ? 1 : Number(values.connections);

/** User + system CPU time of a process, in milliseconds (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(/** @type {number} */ pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * @param {import('./servers.js').Target} target
 * @param {number} count
 */
async function load(target, count) {
  const { dpop, appAttest } = target;
  const signed =
    dpop === undefined
      ? []
      : await signRequestHeaders({
          dpop,
          ...(appAttest === undefined
            ? {}
            : { appAttest, firstCounter: reserveCounters(appAttest, count + 100) }),
          body: requestBody(values.stream),
          count: count + 100,
        });
  let used = 0;
  /** @typedef {{ headers: Record<string, string> }} RequestData */
  const requests =
    dpop === undefined
      ? undefined
      : [
          {
            setupRequest: (/** @type {RequestData} */ request) => ({
              ...request,
              headers: { ...request.headers, ...signed[used++] },
            }),
          },
        ];
  /** @type {{ non2xx: number, errors: number }} */
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: requestBody(values.stream),
    connections,
    amount: count,
    timeout: 10,
    ...(requests === undefined ? {} : { requests }),
  });
  if (result.non2xx + result.errors > 0) {
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  }
}

if (values.meter !== undefined && values.meter !== 'memory' && values.meter !== 'redis') {
  throw new RangeError('--meter must be memory or redis');
}
const meterRow = values.meter === 'redis' ? 'h' : 'g';
const scenarioId = values.attest
  ? 'f'
  : values.meter !== undefined
    ? meterRow
    : values.dpop
      ? 'e'
      : 'c';
const scenario = SCENARIOS.find((s) => s.id === scenarioId);
if (scenario === undefined) throw new Error('no Rampart scenario');
const unavailable = await scenario.unavailable();
if (unavailable !== undefined) throw new Error(`(${scenarioId}) cannot run: ${unavailable}`);
const nodeArgs = [
  ...(values.prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.prof}`]),
  ...values['node-arg'],
];
try {
  const mock = await startMock(chunks);
  const server = await scenario.start({ mockPort: mock.port, chunks, nodeArgs });
  const problem = await verifyTarget(server.target);
  if (problem !== undefined) throw new Error(problem);
  const pid = /** @type {number} */ (server.pid);
  await load(server.target, 5000); // warm-up: JIT, pools, JWKS
  /** @type {number[]} */
  const perThousand = [];
  for (let i = 0; i < Number(values.repeat); i++) {
    const before = cpuMs(pid);
    await load(server.target, amount);
    const ms = ((cpuMs(pid) - before) * 1000) / amount;
    perThousand.push(ms);
    console.log(`run ${i + 1}: ${ms.toFixed(1)} ms CPU per 1000 requests`);
  }
  const sorted = [...perThousand].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const extra = values.attest
    ? ' + DPoP + App Attest'
    : values.meter !== undefined
      ? ` + DPoP + meter (${values.meter})`
      : values.dpop
        ? ' + DPoP'
        : '';
  const what = `${values.stream ? 'stream' : 'json'}${extra}`;
  console.log(`${what}: median ${median.toFixed(1)} ms CPU per 1000 requests`);
  await server.stop();
} finally {
  await stopAll();
}
