import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/index.js';
import { createLogger } from '../../logging.js';
import { createMetrics } from '../../monitor/metrics.js';
import { newExchange, type Exchange } from '../exchange.js';
import type { ChatRequest } from '../parse/schemas.js';
import type { Ending } from '../stage.js';
import { meterStage } from './index.js';

/*
 * The stage on its own, to order its phases by hand: an exchange can end (the client leaves and
 * `done` runs) while its `body` phase is still waiting for the counter store.
 */

const config = validateConfig({
  auth: { mode: 'none' },
  meter: { limits: [{ name: 'streams', key: ['ip'], concurrentStreams: 1 }] },
});
const request = { ip: '198.51.100.4', log: createLogger('silent') } as unknown as FastifyRequest;
const LEFT: Ending = { status: 499, outcome: 'request.client_closed', refused: false };
const DONE: Ending = { status: 200, outcome: undefined, refused: false };

function streamingExchange(): Exchange {
  const exchange = newExchange('r', 'chat', '/v1/chat/completions', new AbortController().signal);
  const body = { model: 'chat', messages: [], stream: true } as unknown as ChatRequest;
  exchange.request = { kind: 'chat', body };
  return exchange;
}

function phases() {
  const stage = meterStage({ config, metrics: createMetrics({ defaultMetrics: false }) });
  const { body, done } = stage;
  if (body === undefined || done === undefined) throw new Error('the meter has no phases');
  return { body, done };
}

describe('an exchange that ends while the meter counts', () => {
  it('a client that leaves while its slot is being taken holds no slot afterwards', async () => {
    const { body, done } = phases();
    const leaving = streamingExchange();
    const pending = body(leaving, request);
    // The client leaves now: the exchange ends and every `done` runs, before `body` resumes.
    leaving.status = LEFT.status;
    await done(leaving, LEFT);
    await expect(pending).rejects.toMatchObject({ code: 'request.client_closed' });

    const next = streamingExchange();
    await body(next, request);
    const third = streamingExchange();
    await expect(body(third, request)).rejects.toMatchObject({
      code: 'meter.concurrency_limited',
    });
    next.status = DONE.status;
    await done(next, DONE);
    await done(third, { status: 429, outcome: 'meter.concurrency_limited', refused: true });
    await expect(body(streamingExchange(), request)).resolves.toBeUndefined();
  });
});
