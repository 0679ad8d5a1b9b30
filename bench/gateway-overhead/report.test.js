// The meter targets are judged from the rows measured in the same run: (g) and (h) against (e),
// never against a missing row, and never when any request was refused.
import { describe, expect, it } from 'vitest';
import { judge, modeTable, targetLines, TARGETS } from './report.js';

/**
 * @param {number} p50
 * @param {{ non2xx?: number, rps?: number }} [options]
 * @returns {import('./load.js').LoadResult}
 */
function run(p50, { non2xx = 0, rps = 1000 } = {}) {
  return {
    connections: 1,
    durationS: 10,
    ok: 10_000,
    non2xx,
    errors: 0,
    timeouts: 0,
    rps,
    latencyMs: { p50, p90: p50 + 0.1, p99: p50 + 0.2, mean: p50, max: p50 + 1 },
    bytesPerResponse: { min: 100, max: 100 },
  };
}

/**
 * @param {string} id
 * @param {number} p50
 * @param {{ non2xx?: number, rps?: number }} [options]
 * @returns {import('./report.js').ScenarioResult}
 */
function row(id, p50, options) {
  const measured = { latency: run(p50, options), throughput: run(p50 * 5, options) };
  return { id, name: `row ${id}`, modes: { json: measured, stream: measured } };
}

describe('meter rows in the report', () => {
  it('judges (g) against 0.2 ms and (h) against 1 ms of added p50 over (e)', () => {
    const verdicts = judge([row('e', 1), row('g', 1.15), row('h', 2.5)]);
    expect(verdicts.json.meterMemoryAddedP50).toEqual({ met: true, value: expect.closeTo(0.15) });
    expect(verdicts.json.meterRedisAddedP50).toEqual({ met: false, value: expect.closeTo(1.5) });
    expect(TARGETS.maxMeterMemoryAddedP50Ms).toBe(0.2);
    expect(TARGETS.maxMeterRedisAddedP50Ms).toBe(1);
  });

  it('does not judge a meter row when (e) was not measured', () => {
    const verdicts = judge([row('g', 1.05), row('h', 1.1)]);
    expect(verdicts.stream.meterMemoryAddedP50).toEqual({
      met: null,
      value: null,
      note: 'not measured',
    });
    expect(verdicts.stream.meterRedisAddedP50.met).toBeNull();
  });

  it('does not judge a meter row that had refusals, however fast', () => {
    const verdicts = judge([row('e', 1), row('g', 1, { non2xx: 3 })]);
    expect(verdicts.json.meterMemoryAddedP50.met).toBeNull();
    expect(verdicts.json.meterMemoryAddedP50.note).toBe('not judged: 6 non-2xx/errors');
  });

  it('prints each meter row over (e) and its target line', () => {
    const scenarios = [row('e', 1, { rps: 2000 }), row('g', 1.1, { rps: 1800 }), row('h', 1.6)];
    const table = modeTable(scenarios, 'json', 32);
    expect(table).toContain(
      "meter (memory), (g) over (e): p50 +0.100 ms, p99 +0.100 ms; req/s 90% of (e)'s",
    );
    expect(table).toContain('meter (Redis), (h) over (e): p50 +0.600 ms');
    const lines = targetLines(judge(scenarios));
    expect(lines).toMatch(
      /MET {4} {2}non-streaming: meter, memory \(g\) adds 0\.100 ms p50 over \(e\), target ≤ 0\.2 ms/,
    );
    expect(lines).toMatch(
      /MET {4} {2}non-streaming: meter, Redis \(h\) adds 0\.600 ms p50 over \(e\), target ≤ 1 ms/,
    );
  });
});
