/**
 * Gateway overhead: what Rampart adds on top of the upstream call, against baselines measured in
 * the same run. See bench/README.md.
 *
 *   npm run bench [-- --quick] [-- --duration 10 --warmup 3 --connections 32 --chunks 8 --only a,c]
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runLoad, verifyTarget } from './load.js';
import { CPU, PINNING, killAllNow, stopAll } from './procs.js';
import { MODES, TARGETS, judge, modeTable, targetLines, writeJson } from './report.js';
import { ROOT, SCENARIOS, mockUnavailable, startMock } from './servers.js';

const USAGE = `usage: node bench/gateway-overhead/run.js [options]
  --duration S     measured seconds per run (default 10; 2 with --quick)
  --warmup S       warm-up seconds before each run, not measured (default 3; 1 with --quick)
  --connections N  connections for the throughput runs (default 32)
  --chunks N       SSE content chunks per streamed answer (default 8)
  --only LIST      scenarios to run, e.g. a,c (default a,b,c,e,g,h,f,d; f, g, h are compared with e)
  --quick          a fast smoke run
  --help`;

/** @param {string | undefined} value @param {number} fallback @param {string} name */
function positive(value, fallback, name) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${name} must be a positive number`);
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      chunks: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  return {
    duration: positive(values.duration, quick ? 2 : 10, 'duration'),
    warmup: values.warmup === '0' ? 0 : positive(values.warmup, quick ? 1 : 3, 'warmup'),
    connections: Math.round(positive(values.connections, 32, 'connections')),
    chunks: Math.round(positive(values.chunks, 8, 'chunks')),
    only: (values.only ?? 'a,b,c,e,g,h,f,d').split(',').map((id) => id.trim()),
    quick,
  };
}

let interrupted = false;

/** @param {string} text */
const log = (text) => process.stderr.write(`${text}\n`);

/**
 * @typedef {import('./report.js').ScenarioResult} ScenarioResult
 * @typedef {{ result: ScenarioResult, target?: import('./servers.js').Target }} Prepared
 */

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * Starts one scenario on a fresh mock and checks that it answers correctly.
 * @param {(typeof SCENARIOS)[number]} scenario
 * @param {number} chunks
 * @param {(() => Promise<void>)[]} stops where the stop of every started process goes
 * @returns {Promise<Prepared>}
 */
async function prepare(scenario, chunks, stops) {
  /** @type {ScenarioResult} */
  const result = {
    id: scenario.id,
    name: scenario.name,
    modes: {},
    ...(scenario.latencyOnly === undefined ? {} : { throughputNotMeasured: scenario.latencyOnly }),
  };
  const reason = await scenario.unavailable();
  if (reason !== undefined) {
    log(`(${scenario.id}) ${scenario.name}: skipped, ${reason}`);
    return { result: { ...result, skipped: reason } };
  }
  try {
    const mock = await startMock(chunks);
    stops.push(mock.stop);
    const server = await scenario.start({ mockPort: mock.port, chunks });
    stops.push(server.stop);
    const problem = await verifyTarget(server.target);
    if (problem !== undefined) throw new Error(`wrong answer before measuring: ${problem}`);
    log(`(${scenario.id}) ${scenario.name}: started and answering correctly`);
    return { result: { ...result, command: server.command }, target: server.target };
  } catch (error) {
    log(`(${scenario.id}) ${scenario.name}: FAILED, ${messageOf(error)}`);
    return { result: { ...result, failed: messageOf(error) } };
  }
}

/**
 * Measures every prepared server, interleaved: each kind of run is done for all servers back to
 * back, so that drift in the machine's load hits every row alike.
 * @param {Prepared[]} prepared
 * @param {ReturnType<typeof options>} opts
 */
async function measureAll(prepared, opts) {
  for (const mode of /** @type {(keyof typeof MODES)[]} */ (Object.keys(MODES))) {
    /** @type {Map<Prepared, Partial<import('./report.js').ModeResult>>} */
    const runs = new Map();
    for (const [kind, connections] of /** @type {const} */ ([
      ['latency', 1],
      ['throughput', opts.connections],
    ])) {
      for (const p of prepared) {
        if (p.target === undefined || p.result.failed !== undefined) continue;
        if (kind === 'throughput' && p.result.throughputNotMeasured !== undefined) continue;
        log(`(${p.result.id}) ${p.result.name}: ${MODES[mode]}, ${connections} connection(s)…`);
        const run = {
          stream: mode === 'stream',
          duration: opts.duration,
          warmup: opts.warmup,
          expectedRps: expectedRps(runs, kind),
        };
        try {
          const measured = await runLoad(p.target, { ...run, connections });
          runs.set(p, { ...runs.get(p), [kind]: measured });
        } catch (error) {
          if (interrupted) return;
          log(`(${p.result.id}) ${p.result.name}: FAILED, ${messageOf(error)}`);
          p.result.failed = messageOf(error);
          p.result.modes = {};
        }
      }
    }
    for (const [p, { latency, throughput }] of runs) {
      if (p.result.failed !== undefined || latency === undefined) continue;
      if (throughput !== undefined) p.result.modes[mode] = { latency, throughput };
      else if (p.result.throughputNotMeasured !== undefined) p.result.modes[mode] = { latency };
    }
  }
}

/** A rate no server here reaches on the benchmark machine; used when nothing was measured yet. */
const FALLBACK_RPS = 8000;

/**
 * An upper bound of the rate the next run of `kind` can reach, to size its pool of DPoP proofs:
 * the fastest server already measured in this kind other than the mock itself (whose rate is the
 * load generator's), the bare proxy when it ran.
 * @param {Map<Prepared, Partial<import('./report.js').ModeResult>>} runs
 * @param {'latency' | 'throughput'} kind
 */
function expectedRps(runs, kind) {
  let fastest = 0;
  for (const [p, measured] of runs) {
    if (p.result.id !== 'a') fastest = Math.max(fastest, measured[kind]?.rps ?? 0);
  }
  return fastest > 0 ? fastest : FALLBACK_RPS;
}

async function main() {
  const opts = options();
  const missing = mockUnavailable();
  if (missing !== undefined) {
    log(`gateway-overhead: cannot run, ${missing}`);
    return 2;
  }
  const startedAt = new Date();
  const loadBefore = loadavg()[0] ?? 0;
  const pinning = PINNING.pinned
    ? `servers on CPU ${CPU.servers}, load generator on CPU ${CPU.load} (taskset)`
    : `NOT pinned: ${PINNING.reason}; numbers are noisier`;
  const perScenario = 4 * (opts.duration + opts.warmup);
  log(`gateway-overhead: ${opts.only.length} scenarios × ~${perScenario} s; ${pinning}`);

  /** @type {(() => Promise<void>)[]} */
  const stops = [];
  /** @type {Prepared[]} */
  const prepared = [];
  try {
    for (const scenario of SCENARIOS.filter((s) => opts.only.includes(s.id))) {
      prepared.push(await prepare(scenario, opts.chunks, stops));
    }
    await measureAll(prepared, opts);
  } finally {
    // Servers before their mocks, newest first.
    for (const stop of stops.reverse()) await stop();
  }
  const scenarios = prepared.map((p) => p.result);
  const verdicts = judge(scenarios);
  const environment = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: availableParallelism(),
    pinning,
    // Other work on the machine skews every number; a 1-minute load average well above what
    // this run itself causes (about 1-2) says the results are suspect.
    loadAverage1m: { before: loadBefore, after: loadavg()[0] ?? 0 },
  };
  const file = writeJson(ROOT, startedAt, {
    benchmark: 'gateway-overhead',
    startedAt: startedAt.toISOString(),
    environment,
    options: opts,
    targets: TARGETS,
    verdicts,
    scenarios,
  });

  console.log(`\ngateway-overhead — Node ${process.version}, ${environment.cpu}; ${pinning}`);
  console.log(
    `each run: ${opts.warmup} s warm-up + ${opts.duration} s measured; ` +
      `streaming answers have ${opts.chunks} content chunks; latencies are for the full response`,
  );
  const { before, after } = environment.loadAverage1m;
  console.log(`1-minute load average: ${before.toFixed(2)} before, ${after.toFixed(2)} after`);
  for (const mode of /** @type {(keyof typeof MODES)[]} */ (Object.keys(MODES))) {
    console.log(`\n${modeTable(scenarios, mode, opts.connections)}`);
  }
  console.log(`\n${targetLines(verdicts)}`);
  console.log(`\nraw results: ${file}`);
  return 0;
}

process.once('SIGINT', () => {
  interrupted = true;
  log('\ngateway-overhead: interrupted, stopping child processes…');
  stopAll().then(
    () => process.exit(130),
    () => process.exit(130),
  );
});
process.once('exit', killAllNow);

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (/** @type {unknown} */ error) => {
    log(
      `gateway-overhead: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    await stopAll();
    process.exitCode = 1;
  },
);
