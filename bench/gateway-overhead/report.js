/**
 * Turns measurements into the printed tables, the target verdicts and the JSON file. Reports
 * only: nothing here fails the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Rampart's targets, judged against baselines measured in the same run. */
export const TARGETS = {
  maxAddedP50Ms: 0.5,
  minThroughputVsBare: 0.6,
  maxAuthAddedP50Ms: 0.3,
  maxAttestAddedP50Ms: 0.3,
  maxMeterMemoryAddedP50Ms: 0.2,
  maxMeterRedisAddedP50Ms: 1,
};

export const MODES = /** @type {const} */ ({ json: 'non-streaming', stream: 'streaming' });

/**
 * @typedef {import('./load.js').LoadResult} LoadResult
 * @typedef {{ latency: LoadResult, throughput?: LoadResult }} ModeResult  throughput is
 *   absent only for a scenario with `throughputNotMeasured`
 * @typedef {{
 *   id: string, name: string, command?: string, skipped?: string, failed?: string,
 *   throughputNotMeasured?: string, modes: Partial<Record<keyof typeof MODES, ModeResult>>
 * }} ScenarioResult  throughputNotMeasured: why the scenario is measured at 1 connection only
 * @typedef {{ met: boolean | null, value: number | null, note?: string }} Verdict
 */

/** @param {ModeResult | undefined} m */
const problems = (m) =>
  m === undefined
    ? 0
    : [m.latency, m.throughput].reduce(
        (n, r) => (r === undefined ? n : n + r.non2xx + r.errors + r.timeouts),
        0,
      );

/**
 * @param {ScenarioResult[]} scenarios
 * @param {keyof typeof MODES} mode
 */
function byId(scenarios, mode) {
  /** @param {string} id */
  return (id) => scenarios.find((s) => s.id === id)?.modes[mode];
}

/**
 * @param {ScenarioResult[]} scenarios
 * @returns {Record<keyof typeof MODES, {
 *   addedP50: Verdict, throughputVsBare: Verdict, authAddedP50: Verdict, attestAddedP50: Verdict,
 *   meterMemoryAddedP50: Verdict, meterRedisAddedP50: Verdict
 * }>}
 */
export function judge(scenarios) {
  /** @param {keyof typeof MODES} mode */
  const one = (mode) => {
    const get = byId(scenarios, mode);
    const [a, b, c, e, f] = [get('a'), get('b'), get('c'), get('e'), get('f')];
    const [g, h] = [get('g'), get('h')];
    /** @param {number} max @returns {(v: number) => boolean} */
    const atMost = (max) => (v) => v <= max;
    /** @type {(row: ModeResult, base: ModeResult) => number} */
    const addedP50 = (row, base) => row.latency.latencyMs.p50 - base.latency.latencyMs.p50;
    // `row` is explicit, never defaulted: a failed (e) is undefined, and a default would judge
    // (c) against itself (0 ms added, "MET").
    /** @type {(row: ModeResult | undefined, base: ModeResult | undefined, f: (c: ModeResult, base: ModeResult) => number, ok: (v: number) => boolean) => Verdict} */
    const verdict = (row, base, f, ok) => {
      if (row === undefined || base === undefined)
        return { met: null, value: null, note: 'not measured' };
      const value = f(row, base);
      const bad = problems(row) + problems(base);
      if (bad > 0) return { met: null, value, note: `not judged: ${bad} non-2xx/errors` };
      return { met: ok(value), value };
    };
    return {
      addedP50: verdict(
        c,
        a,
        (c, a) => c.latency.latencyMs.p50 - a.latency.latencyMs.p50,
        (v) => v <= TARGETS.maxAddedP50Ms,
      ),
      throughputVsBare: verdict(
        c,
        b,
        (c, b) => (c.throughput?.rps ?? NaN) / (b.throughput?.rps ?? NaN),
        (v) => v >= TARGETS.minThroughputVsBare,
      ),
      // The authenticated row against the unauthenticated one: what DPoP-bound tokens cost.
      authAddedP50: verdict(
        e,
        c,
        (e, c) => e.latency.latencyMs.p50 - c.latency.latencyMs.p50,
        (v) => v <= TARGETS.maxAuthAddedP50Ms,
      ),
      // The attested row against the authenticated one: what an App Attest assertion costs.
      attestAddedP50: verdict(
        f,
        e,
        (f, e) => f.latency.latencyMs.p50 - e.latency.latencyMs.p50,
        (v) => v <= TARGETS.maxAttestAddedP50Ms,
      ),
      // The metered rows against the authenticated one: what the meter stage costs, its
      // counters in memory, then in Redis on loopback.
      meterMemoryAddedP50: verdict(g, e, addedP50, atMost(TARGETS.maxMeterMemoryAddedP50Ms)),
      meterRedisAddedP50: verdict(h, e, addedP50, atMost(TARGETS.maxMeterRedisAddedP50Ms)),
    };
  };
  return { json: one('json'), stream: one('stream') };
}

/** @param {number | null | undefined} v @param {number} digits */
const fixed = (v, digits) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

/**
 * @param {string[][]} rows first row is the header; a row of two cells is a label and a note
 *   that spans the other columns. First column left-aligned, the others right-aligned.
 */
function table(rows) {
  const full = rows.filter((r) => r.length > 2);
  const widths = (rows[0] ?? []).map((_, i) =>
    Math.max(...(i === 0 ? rows : full).map((r) => (r[i] ?? '').length)),
  );
  const cell = (/** @type {string} */ text, /** @type {number} */ i) =>
    i === 0 ? text.padEnd(widths[0] ?? 0) : text.padStart(widths[i] ?? 0);
  return rows
    .map((r) => (r.length > 2 ? r.map(cell) : [cell(r[0] ?? '', 0), r[1]]).join('  '))
    .join('\n');
}

/**
 * @param {ScenarioResult[]} scenarios
 * @param {keyof typeof MODES} mode
 * @param {number} connections
 */
export function modeTable(scenarios, mode, connections) {
  const get = byId(scenarios, mode);
  const [a, b, c, d, e, f] = [get('a'), get('b'), get('c'), get('d'), get('e'), get('f')];
  const header = [
    '',
    'p50 ms',
    'p99 ms',
    `req/s @${connections}`,
    '+p50 vs (a) ms',
    'req/s vs (b)',
    'non-2xx/err',
  ];
  const rows = [header];
  for (const s of scenarios) {
    const label = `(${s.id}) ${s.name}`;
    const m = s.modes[mode];
    if (m === undefined) {
      rows.push([label, s.skipped ? `skipped: ${s.skipped}` : `failed: ${firstLine(s.failed)}`]);
      continue;
    }
    const added = a === undefined ? null : m.latency.latencyMs.p50 - a.latency.latencyMs.p50;
    const rps = m.throughput?.rps;
    const bareRps = b?.throughput?.rps;
    const vsBare = rps === undefined || bareRps === undefined ? null : (100 * rps) / bareRps;
    rows.push([
      label,
      fixed(m.latency.latencyMs.p50, 3),
      fixed(m.latency.latencyMs.p99, 3),
      fixed(rps, 0),
      s.id === 'a' ? '—' : `${added !== null && added >= 0 ? '+' : ''}${fixed(added, 3)}`,
      s.id === 'b' || vsBare === null ? '—' : `${fixed(vsBare, 0)}%`,
      String(problems(m)),
    ]);
  }
  const lines = [
    `${MODES[mode]}: latency at 1 connection, throughput at ${connections} connections`,
  ];
  lines.push(table(rows));
  const sign = (/** @type {number} */ x, /** @type {number} */ y) =>
    `${x - y >= 0 ? '+' : ''}${fixed(x - y, 3)} ms`;
  const rpsOf = (/** @type {ModeResult} */ m) => m.throughput?.rps ?? NaN;
  if (c !== undefined && d !== undefined && a !== undefined) {
    const ratio = (/** @type {number} */ x, /** @type {number} */ y) => `${fixed(x / y, 2)}×`;
    const addedC = c.latency.latencyMs.p50 - a.latency.latencyMs.p50;
    const addedD = d.latency.latencyMs.p50 - a.latency.latencyMs.p50;
    lines.push(
      `Rampart / Portkey: p50 ${ratio(c.latency.latencyMs.p50, d.latency.latencyMs.p50)}, ` +
        `p99 ${ratio(c.latency.latencyMs.p99, d.latency.latencyMs.p99)}, ` +
        `added p50 ${ratio(addedC, addedD)} (lower is better); ` +
        `req/s ${ratio(rpsOf(c), rpsOf(d))} (higher is better)`,
    );
  }
  if (c !== undefined && e !== undefined) {
    lines.push(
      `DPoP token + proof, (e) over (c): ` +
        `p50 ${sign(e.latency.latencyMs.p50, c.latency.latencyMs.p50)}, ` +
        `p99 ${sign(e.latency.latencyMs.p99, c.latency.latencyMs.p99)}; ` +
        `req/s ${fixed((100 * rpsOf(e)) / rpsOf(c), 0)}% of (c)'s`,
    );
  }
  const attested = scenarios.find((s) => s.id === 'f');
  if (e !== undefined && f !== undefined) {
    const throughput =
      f.throughput === undefined
        ? `throughput not measured: ${attested?.throughputNotMeasured ?? 'no run'}`
        : `req/s ${fixed((100 * rpsOf(f)) / rpsOf(e), 0)}% of (e)'s`;
    lines.push(
      `App Attest assertion, (f) over (e): ` +
        `p50 ${sign(f.latency.latencyMs.p50, e.latency.latencyMs.p50)}, ` +
        `p99 ${sign(f.latency.latencyMs.p99, e.latency.latencyMs.p99)}; ${throughput}`,
    );
  }
  for (const [id, what] of /** @type {const} */ ([
    ['g', 'meter (memory)'],
    ['h', 'meter (Redis)'],
  ])) {
    const metered = get(id);
    if (e === undefined || metered === undefined) continue;
    lines.push(
      `${what}, (${id}) over (e): ` +
        `p50 ${sign(metered.latency.latencyMs.p50, e.latency.latencyMs.p50)}, ` +
        `p99 ${sign(metered.latency.latencyMs.p99, e.latency.latencyMs.p99)}; ` +
        `req/s ${fixed((100 * rpsOf(metered)) / rpsOf(e), 0)}% of (e)'s`,
    );
  }
  return lines.join('\n');
}

/** @param {string | undefined} text */
const firstLine = (text) => (text ?? 'unknown').split('\n')[0]?.slice(0, 100) ?? '';

/** @param {ReturnType<typeof judge>} verdicts */
export function targetLines(verdicts) {
  /** @param {Verdict} v @param {string} text */
  const line = (v, text) =>
    `${v.met === null ? '—' : v.met ? 'MET    ' : 'NOT MET'}  ${text}${v.note ? ` (${v.note})` : ''}`;
  const out = ['Targets (Rampart):'];
  for (const mode of /** @type {(keyof typeof MODES)[]} */ (Object.keys(MODES))) {
    const v = verdicts[mode];
    out.push(
      `  ${line(v.addedP50, `${MODES[mode]}: adds ${fixed(v.addedP50.value, 3)} ms p50 over (a), target ≤ ${TARGETS.maxAddedP50Ms} ms`)}`,
      `  ${line(v.throughputVsBare, `${MODES[mode]}: ${fixed(v.throughputVsBare.value === null ? null : 100 * v.throughputVsBare.value, 0)}% of (b)'s throughput, target ≥ ${100 * TARGETS.minThroughputVsBare}%`)}`,
      `  ${line(v.authAddedP50, `${MODES[mode]}: DPoP token + proof (e) adds ${fixed(v.authAddedP50.value, 3)} ms p50 over (c), target ≤ ${TARGETS.maxAuthAddedP50Ms} ms`)}`,
      `  ${line(v.attestAddedP50, `${MODES[mode]}: App Attest assertion (f) adds ${fixed(v.attestAddedP50.value, 3)} ms p50 over (e), target ≤ ${TARGETS.maxAttestAddedP50Ms} ms`)}`,
      `  ${line(v.meterMemoryAddedP50, `${MODES[mode]}: meter, memory (g) adds ${fixed(v.meterMemoryAddedP50.value, 3)} ms p50 over (e), target ≤ ${TARGETS.maxMeterMemoryAddedP50Ms} ms`)}`,
      `  ${line(v.meterRedisAddedP50, `${MODES[mode]}: meter, Redis (h) adds ${fixed(v.meterRedisAddedP50.value, 3)} ms p50 over (e), target ≤ ${TARGETS.maxMeterRedisAddedP50Ms} ms`)}`,
    );
  }
  return out.join('\n');
}

/**
 * @param {string} root repository root
 * @param {Date} startedAt
 * @param {unknown} data
 * @returns {string} the file written
 */
export function writeJson(root, startedAt, data) {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `gateway-overhead-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
