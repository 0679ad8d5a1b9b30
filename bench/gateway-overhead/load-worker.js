/**
 * The load generator, run by load.js as its own process pinned to the load core:
 *
 *   node load-worker.js '<json LoadSpec>'   → one JSON LoadResult on standard output
 *
 * autocannon drives the connections and reads every response to its end (the whole SSE stream
 * for streaming requests). Its own histogram keeps whole milliseconds only, too coarse for
 * sub-millisecond overheads, so latencies are taken from its per-response event instead
 * (process.hrtime, fractional ms) and the percentiles computed here exactly.
 *
 * autocannon only stops at the next whole-second tick after the duration, so a run lasts 10 or
 * 11 s; only responses completed within exactly `duration` seconds of the start are counted.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { signRequestHeaders } from './app-attest-client.js';

/**
 * @typedef {{
 *   url: string, headers: Record<string, string>, body: string,
 *   connections: number, duration: number, warmup: number,
 *   dpop?: import('./dpop-client.js').DpopCredentials, proofs: number,
 *   appAttest?: import('./app-attest-client.js').AppAttestCredentials, firstCounter?: number
 * }} LoadSpec  firstCounter: the first of `proofs` assertion counters reserved for this run
 */

/**
 * The parts of autocannon's result used here (it ships no types).
 * @typedef {{ duration: number, non2xx: number, errors: number, timeouts: number }} AutocannonResult
 */

/** @type {LoadSpec} */
const spec = JSON.parse(process.argv[2] ?? '{}');

// With DPoP, every request gets the next proof of a pool signed before the first run (one
// unique jti each, all well inside the gateway's proof max age), shared by all connections.
// With App Attest too, each proof comes with its assertion, counters increasing in pool order
// (only one connection keeps them in that order on the wire).
const signingStart = performance.now();
const signed =
  spec.dpop === undefined
    ? []
    : await signRequestHeaders({
        dpop: spec.dpop,
        ...(spec.appAttest === undefined ? {} : { appAttest: spec.appAttest }),
        ...(spec.firstCounter === undefined ? {} : { firstCounter: spec.firstCounter }),
        body: spec.body,
        count: spec.proofs,
      });
const signingS = (performance.now() - signingStart) / 1000;
let used = 0;

/** @typedef {{ headers: Record<string, string> }} RequestData */
/** @type {{ setupRequest: (request: RequestData) => RequestData }[] | undefined} */
const requests =
  spec.dpop === undefined
    ? undefined
    : [
        {
          setupRequest(request) {
            // An exhausted pool sends no proof: the 401s show up as non-2xx, never as replays.
            const headers = signed[used++];
            if (headers === undefined) return { ...request, headers: { ...request.headers } };
            return { ...request, headers: { ...request.headers, ...headers } };
          },
        },
      ];

/**
 * @param {number} seconds
 * @returns {Promise<{ result: AutocannonResult, latencies: number[], bytes: { min: number, max: number } }>}
 */
function run(seconds) {
  /** @type {number[]} */
  const latencies = [];
  const bytes = { min: Infinity, max: 0 };
  return new Promise((resolve, reject) => {
    const end = performance.now() + seconds * 1000;
    const instance = autocannon(
      {
        url: spec.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        body: spec.body,
        connections: spec.connections,
        duration: seconds,
        timeout: 10,
        ...(requests === undefined ? {} : { requests }),
      },
      (/** @type {Error | null} */ error, /** @type {AutocannonResult} */ result) =>
        error ? reject(error) : resolve({ result, latencies, bytes }),
    );
    /** @type {(client: unknown, status: number, bytes: number, ms: number) => void} */
    const onResponse = (_client, statusCode, resBytes, responseTime) => {
      if (statusCode < 200 || statusCode > 299 || performance.now() > end) return;
      latencies.push(responseTime);
      bytes.min = Math.min(bytes.min, resBytes);
      bytes.max = Math.max(bytes.max, resBytes);
    };
    instance.on('response', onResponse);
  });
}

/**
 * Nearest-rank percentile of sorted values.
 * @param {Float64Array} sorted
 * @param {number} q
 */
function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** @param {number} value */
const round = (value) => Math.round(value * 1000) / 1000;

if (spec.warmup > 0) await run(spec.warmup);
const { result, latencies, bytes } = await run(spec.duration);
const sorted = Float64Array.from(latencies).sort();
const ok = sorted.length;
const mean = ok === 0 ? NaN : sorted.reduce((sum, value) => sum + value, 0) / ok;
const summary = {
  connections: spec.connections,
  durationS: spec.duration,
  ok,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  rps: round(ok / spec.duration),
  latencyMs: {
    p50: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    p99: round(percentile(sorted, 0.99)),
    mean: round(mean),
    max: round(percentile(sorted, 1)),
  },
  bytesPerResponse: ok === 0 ? null : bytes,
  ...(spec.dpop === undefined
    ? {}
    : { proofs: { signed: signed.length, used, signingS: round(signingS) } }),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
