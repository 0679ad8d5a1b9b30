import { Counter, type Registry } from 'prom-client';

/** How a limit decided one request (the `outcome` label). */
export const METER_OUTCOMES = ['allowed', 'limited', 'fail_open', 'unavailable'] as const;
export type MeterOutcome = (typeof METER_OUTCOMES)[number];

const NAME = 'rampart_meter_decisions_total';

/**
 * `rampart_meter_decisions_total{limit, outcome}` on the gateway's registry: one increment per
 * limit that applied to a request. Labels are bounded: configured limit names and four
 * outcomes, never a key. Every configured pair starts at 0, so that an alert on
 * `fail_open` or `unavailable` has a series to watch before the first outage.
 */
export function meterDecisions(
  registry: Registry,
  limitNames: readonly string[],
): Counter<'limit' | 'outcome'> {
  const existing = registry.getSingleMetric(NAME);
  const counter =
    existing instanceof Counter
      ? (existing as Counter<'limit' | 'outcome'>)
      : new Counter({
          name: NAME,
          help: 'Decisions of the meter stage, by configured limit and outcome (allowed, limited, fail_open, unavailable).',
          labelNames: ['limit', 'outcome'],
          registers: [registry],
        });
  for (const limit of limitNames) {
    for (const outcome of METER_OUTCOMES) counter.inc({ limit, outcome }, 0);
  }
  return counter;
}

const CLAMPS = 'rampart_meter_clamps_total';

/**
 * `rampart_meter_clamps_total{parameter}`: admitted requests that `meter.caps` changed on the way
 * upstream, by the parameter changed (`max_tokens`, `max_completion_tokens`, `logprobs`): a
 * bounded label. Refusals by a cap are counted with every refusal (`meter.cap_exceeded`).
 */
export function meterClamps(registry: Registry): Counter<'parameter'> {
  const existing = registry.getSingleMetric(CLAMPS);
  return existing instanceof Counter
    ? existing
    : new Counter({
        name: CLAMPS,
        help: 'Admitted requests that meter.caps changed on the way upstream, by parameter (max_tokens, max_completion_tokens, logprobs).',
        labelNames: ['parameter'],
        registers: [registry],
      });
}
