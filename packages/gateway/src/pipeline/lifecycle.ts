import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Exchange } from './exchange.js';
import type { PhasePlan } from './phases.js';
import type { Ending } from './stage.js';

/** The status recorded for a response the client left before it was complete (nginx's 499). */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * How a response ended, read when its socket side closes: complete (its own status), or cut
 * because the client left (499, unless the exchange already knew a failure code).
 */
export function closedEnding(res: ServerResponse, exchange: Exchange | null): Ending {
  if (exchange?.status !== undefined) {
    // Already ended (a refusal): that is how it ended, whatever the socket did since.
    return { status: exchange.status, outcome: exchange.outcome, refused: true };
  }
  if (res.writableEnded) {
    return { status: res.statusCode, outcome: exchange?.outcome, refused: false };
  }
  return {
    status: CLIENT_CLOSED_STATUS,
    outcome: exchange?.outcome ?? 'request.client_closed',
    refused: false,
  };
}

/**
 * Ends an exchange exactly once: records the final status and outcome on it and runs every
 * stage's `done` phase in list order, each awaited. Later calls (a refusal that arrives after
 * the client left, the close event after a refusal) do nothing. A failing `done` phase is
 * logged and does not stop the others or the answer. Returns a promise only when a phase
 * returned one: the common all-synchronous end allocates none (measurable per request).
 */
export function endExchange(
  exchange: Exchange,
  ending: Ending,
  plan: PhasePlan,
  log: FastifyBaseLogger,
): Promise<void> | undefined {
  if (exchange.status !== undefined) return undefined;
  exchange.status = ending.status;
  exchange.outcome = ending.outcome;
  return runDone(plan, 0, exchange, ending, log);
}

function runDone(
  plan: PhasePlan,
  from: number,
  exchange: Exchange,
  ending: Ending,
  log: FastifyBaseLogger,
): Promise<void> | undefined {
  const failed = (error: unknown) => log.error({ err: error }, 'a pipeline done phase failed');
  for (let i = from; i < plan.done.length; i++) {
    let result: unknown;
    try {
      result = plan.done[i]?.(exchange, ending);
    } catch (error) {
      failed(error);
      continue;
    }
    if (result instanceof Promise) {
      const next = () => runDone(plan, i + 1, exchange, ending, log);
      return result.then(next, (error: unknown) => {
        failed(error);
        return next();
      });
    }
  }
  return undefined;
}
