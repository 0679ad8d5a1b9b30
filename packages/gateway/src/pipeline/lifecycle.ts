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
 * logged and does not stop the others or the answer.
 */
export async function endExchange(
  exchange: Exchange,
  ending: Ending,
  plan: PhasePlan,
  log: FastifyBaseLogger,
): Promise<void> {
  if (exchange.status !== undefined) return;
  exchange.status = ending.status;
  exchange.outcome = ending.outcome;
  for (const done of plan.done) {
    try {
      const result = done(exchange, ending);
      if (result instanceof Promise) await result;
    } catch (error) {
      log.error({ err: error }, 'a pipeline done phase failed');
    }
  }
}
