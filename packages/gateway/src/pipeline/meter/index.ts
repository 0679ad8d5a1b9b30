import type { RampartError } from '@rampart/core';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import type { MeterLimitConfig } from '../../config/meter-schema.js';
import { gatewayError } from '../../errors.js';
import type { GatewayMetrics } from '../../monitor/metrics.js';
import type { RedisConnection } from '../../redis/index.js';
import type { Exchange } from '../exchange.js';
import type { Stage } from '../stage.js';
import { announceClamped, enforceCaps } from './caps.js';
import { estimateTokens } from './estimate.js';
import { answerHeaders, rateLimitHeaders, type LimitState } from './headers.js';
import { counterKey, limitApplies, type MeteredRequest } from './keys.js';
import { meterClamps, meterDecisions, type MeterOutcome } from './metrics.js';
import { streamSlots, type SlotCheck, type StreamSlot, type StreamSlots } from './streams.js';
import { tokenCounter, type TokenCharge, type TokenCheck, type TokenCounter } from './tokens.js';
import { windowCounter, type WindowCheck, type WindowCounter } from './windows.js';

export interface MeterDeps {
  readonly config: Pick<Config, 'meter'>;
  readonly metrics: Pick<GatewayMetrics, 'registry'>;
  /** The gateway's Redis (`redis.url`): counters shared by replicas. Absent: in this process. */
  readonly redis?: RedisConnection | undefined;
}

/** A configured limit with its counter: a request window, a token window or a stream limit. */
type Limit = { readonly config: MeterLimitConfig } & (
  | {
      readonly kind: 'window';
      readonly counter: WindowCounter;
      readonly requests: number;
      readonly windowSeconds: number;
    }
  | {
      readonly kind: 'tokens';
      readonly counter: TokenCounter;
      readonly tokens: number;
      readonly windowSeconds: number;
    }
  | { readonly kind: 'streams'; readonly slots: StreamSlots; readonly max: number }
);

/**
 * What an exchange holds until `done`: stream slots to give back, token charges to settle with
 * the upstream's usage, and the log to report a failed release.
 */
interface Held {
  readonly slots: StreamSlot[];
  readonly charges: TokenCharge[];
  readonly log: FastifyBaseLogger;
}

/** Seconds a client refused for open streams is told to wait: a slot frees whenever a stream ends. */
const STREAM_RETRY_SECONDS = 1;

/**
 * Stage meter (DESIGN.md, request path 5): the limits of `meter.limits` on chat and embeddings
 * requests, after parse (the alias is known) and before the upstream call. Every limit that
 * applies (by role, attestation state and alias) counts the request under its key; one over
 * its window refuses it with 429 `meter.rate_limited`, and a stream beyond a concurrency limit
 * with 429 `meter.concurrency_limited`, both with `Retry-After` and the `RateLimit` headers.
 * An admitted answer carries the most constrained limit's remaining quota in the same headers.
 * A token window takes the request's estimate (estimate.ts) up front, refusing when it does
 * not fit, and `done` settles it with the upstream's reported usage (tokens.ts); a request
 * refused by any limit has its estimates given back at once.
 *
 * A counter store that cannot answer fails the limit closed (503 `meter.unavailable`) unless
 * the limit says `failOpen`, in which case the request passes, logged at warn and counted. A
 * stream slot is taken in `body` and given back in `done`, which runs exactly once per
 * exchange however it ends (complete, refused later, upstream error, client gone).
 * Before any limit, `meter.caps` bound what one chat request may ask for (caps.ts): refused
 * with 400, or trimmed in the body sent upstream. Without limits or caps the stage has no phase.
 */
export function meterStage(deps: MeterDeps): Stage {
  const { limits: configured, caps, streamLeaseSeconds, defaultOutputTokens } = deps.config.meter;
  if (configured.length === 0 && caps.length === 0) return { name: 'meter' };
  const clamps = caps.length > 0 ? meterClamps(deps.metrics.registry) : undefined;
  /** Tells the client (x-rampart-clamped) and the operator (the metric) what a cap changed. */
  const announce = (exchange: Exchange, clamped: readonly string[]): void => {
    for (const parameter of clamped) clamps?.inc({ parameter });
    announceClamped(exchange, clamped);
  };
  if (configured.length === 0) {
    return {
      name: 'meter',
      body(exchange) {
        announce(exchange, enforceCaps(caps, exchange));
      },
    };
  }
  const client = deps.redis?.client;
  const limits: Limit[] = configured.map((config): Limit => {
    if (config.tokens !== undefined) {
      const window = { tokens: config.tokens, windowSeconds: config.windowSeconds ?? 1 };
      return {
        config,
        kind: 'tokens',
        ...window,
        counter: tokenCounter({ name: config.name, ...window }, client),
      };
    }
    if (config.concurrentStreams === undefined) {
      // meter-checks.ts refused a limit with neither kind or half a window at start-up.
      const window = { requests: config.requests ?? 1, windowSeconds: config.windowSeconds ?? 1 };
      return {
        config,
        kind: 'window',
        ...window,
        counter: windowCounter({ name: config.name, ...window }, client),
      };
    }
    return {
      config,
      kind: 'streams',
      max: config.concurrentStreams,
      slots: streamSlots(
        {
          name: config.name,
          max: config.concurrentStreams,
          leaseMs: streamLeaseSeconds * 1000,
        },
        client,
      ),
    };
  });
  const decisions = meterDecisions(
    deps.metrics.registry,
    limits.map((limit) => limit.config.name),
  );
  const held = new WeakMap<Exchange, Held>();

  /** Records one decision; a store failure becomes fail_open or unavailable by the limit's policy. */
  const decide = (
    limit: Limit,
    check: WindowCheck | TokenCheck | SlotCheck,
    log: FastifyBaseLogger,
  ): MeterOutcome => {
    let outcome: MeterOutcome;
    if (check.outcome === 'failed') {
      outcome = limit.config.failOpen ? 'fail_open' : 'unavailable';
      log.warn(
        {
          limit: limit.config.name,
          reason: reasonOf(check.error),
          failOpen: limit.config.failOpen,
        },
        limit.config.failOpen
          ? 'meter counter store unavailable: the limit fails open, request admitted unchecked'
          : 'meter counter store unavailable: the limit fails closed, request refused',
      );
    } else {
      outcome = check.outcome;
    }
    decisions.inc({ limit: limit.config.name, outcome });
    return outcome;
  };

  /** Counts the request under every applicable limit; refuses, or sets the answer's headers. */
  const meter = async (
    exchange: Exchange,
    request: FastifyRequest,
    applicable: readonly Limit[],
  ): Promise<void> => {
    const client: MeteredRequest = { ip: request.ip };
    const streamed = exchange.request?.kind === 'chat' && exchange.request.body.stream === true;
    const states: LimitState[] = [];
    let unavailable = false;

    // Request and token windows first, in parallel: every window that applies counts the request.
    const windows = applicable.filter((limit) => limit.kind === 'window');
    const tokenWindows = applicable.filter((limit) => limit.kind === 'tokens');
    const estimate =
      tokenWindows.length > 0 && exchange.request !== undefined
        ? estimateTokens(exchange.request, exchange.upstreamBody, defaultOutputTokens).totalTokens
        : 0;
    const [windowChecks, tokenChecks] = await Promise.all([
      Promise.all(
        windows.map((limit) =>
          limit.counter.consume(counterKey(limit.config.key, exchange, client)),
        ),
      ),
      Promise.all(
        tokenWindows.map((limit) =>
          limit.counter.take(counterKey(limit.config.key, exchange, client), estimate),
        ),
      ),
    ]);
    // Tokens taken are given back in full if the request goes no further (refused, unavailable).
    const charges: TokenCharge[] = [];
    for (const check of tokenChecks) if (check.outcome === 'allowed') charges.push(check.charge);
    const giveBack = () => settleAll({ slots: [], charges, log: request.log }, 0);

    let refusal: { error: RampartError; state: LimitState } | undefined;
    for (const [i, limit] of windows.entries()) {
      const check = windowChecks[i] as WindowCheck;
      const outcome = decide(limit, check, request.log);
      const base = {
        kind: 'window',
        name: limit.config.name,
        quota: limit.requests,
        windowSeconds: limit.windowSeconds,
      } as const;
      if (check.outcome === 'allowed') {
        states.push({ ...base, remaining: check.remaining, resetSeconds: check.resetSeconds });
      } else if (check.outcome === 'limited' && refusal === undefined) {
        refusal = {
          state: { ...base, remaining: 0, resetSeconds: check.resetSeconds },
          error: gatewayError(
            'meter.rate_limited',
            `Limit "${limit.config.name}" allows ${base.quota} requests per ${base.windowSeconds} s; retry in ${check.resetSeconds} s.`,
            { extensions: { limit: limit.config.name, retryAfter: check.resetSeconds } },
          ),
        };
      } else if (outcome === 'unavailable') {
        unavailable = true;
      }
    }
    for (const [i, limit] of tokenWindows.entries()) {
      const check = tokenChecks[i] as TokenCheck;
      const outcome = decide(limit, check, request.log);
      const base = {
        kind: 'tokens',
        name: limit.config.name,
        quota: limit.tokens,
        windowSeconds: limit.windowSeconds,
      } as const;
      if (check.outcome === 'allowed') {
        states.push({ ...base, remaining: check.remaining, resetSeconds: check.resetSeconds });
      } else if (check.outcome === 'limited' && refusal === undefined) {
        const never = estimate > limit.tokens;
        refusal = {
          state: { ...base, remaining: check.remaining, resetSeconds: check.resetSeconds },
          error: gatewayError(
            'meter.rate_limited',
            never
              ? `Limit "${limit.config.name}" allows ${base.quota} tokens per ${base.windowSeconds} s and this request may use up to ${estimate}; ask for fewer output tokens or send a shorter prompt.`
              : `Limit "${limit.config.name}" allows ${base.quota} tokens per ${base.windowSeconds} s, ${check.remaining} are left and this request may use up to ${estimate}; retry in ${check.resetSeconds} s.`,
            { extensions: { limit: limit.config.name, retryAfter: check.resetSeconds } },
          ),
        };
      } else if (outcome === 'unavailable') {
        unavailable = true;
      }
    }
    if (refusal !== undefined || unavailable) await giveBack();
    refuseWith(exchange, refusal);
    if (unavailable) throw unavailableError();

    // Then stream slots, taken only for a request that streams and passed every window.
    const streams = streamed ? applicable.filter((limit) => limit.kind === 'streams') : [];
    if (streams.length === 0) {
      admit(exchange, states, { slots: [], charges, log: request.log });
      return;
    }
    const slotChecks = await Promise.all(
      streams.map((limit) => limit.slots.acquire(counterKey(limit.config.key, exchange, client))),
    );
    // Every slot taken is held by the exchange before any refusal, so `done` gives it back.
    const taken: StreamSlot[] = [];
    for (const check of slotChecks) if (check.outcome === 'allowed') taken.push(check.slot);
    if (exchange.status !== undefined) {
      // The exchange ended while the slots were being taken (the client left): its `done`
      // has run already and will not run again, so they go back now.
      // Nothing went upstream, so no token was used.
      await settleAll({ slots: taken, charges, log: request.log }, 0);
      throw exchange.signal.reason ?? gatewayError('request.client_closed');
    }
    if (taken.length > 0) held.set(exchange, { slots: taken, charges: [], log: request.log });
    for (const [i, limit] of streams.entries()) {
      const check = slotChecks[i] as SlotCheck;
      const outcome = decide(limit, check, request.log);
      const base = {
        kind: 'streams',
        name: limit.config.name,
        quota: limit.max,
      } as const;
      if (check.outcome === 'allowed') {
        states.push({ ...base, remaining: check.remaining });
      } else if (check.outcome === 'limited' && refusal === undefined) {
        refusal = {
          state: { ...base, remaining: 0 },
          error: gatewayError(
            'meter.concurrency_limited',
            `Limit "${limit.config.name}" allows ${base.quota} open streams at once; finish one and retry.`,
            { extensions: { limit: limit.config.name, retryAfter: STREAM_RETRY_SECONDS } },
          ),
        };
      } else if (outcome === 'unavailable') {
        unavailable = true;
      }
    }
    if (refusal !== undefined || unavailable) await giveBack();
    refuseWith(exchange, refusal);
    if (unavailable) throw unavailableError();
    admit(exchange, states, { slots: taken, charges, log: request.log });
  };

  /**
   * Sets the answer's headers and keeps what the exchange holds for `done`. An exchange that
   * ended while its counters were being read (the client left) has had its `done` already: what
   * it holds goes back now, all of it, as nothing went upstream.
   */
  const admit = (exchange: Exchange, states: readonly LimitState[], entry: Held): void => {
    const holds = entry.slots.length > 0 || entry.charges.length > 0;
    if (holds && exchange.status !== undefined) {
      held.delete(exchange);
      void settleAll(entry, 0);
      throw exchange.signal.reason ?? gatewayError('request.client_closed');
    }
    if (holds) held.set(exchange, entry);
    const headers = answerHeaders(states);
    exchange.responseHeaders = { ...exchange.responseHeaders, ...headers };
  };

  return {
    name: 'meter',

    body(exchange, request) {
      if (exchange.endpoint !== 'chat' && exchange.endpoint !== 'embeddings') return;
      // Caps first: a request refused for what it asks for is not counted against a window.
      const clamped = caps.length > 0 ? enforceCaps(caps, exchange) : [];
      const applicable = limits.filter((limit) => limitApplies(limit.config, exchange));
      if (applicable.length === 0) {
        announce(exchange, clamped);
        return;
      }
      // Synchronous when nothing applies: no promise on the path of an unmetered request.
      if (clamped.length === 0) return meter(exchange, request, applicable);
      return meter(exchange, request, applicable).then(() => announce(exchange, clamped));
    },

    done(exchange) {
      const entry = held.get(exchange);
      // Synchronous for an exchange that holds nothing: no promise at the end of most requests.
      if (entry === undefined) return;
      held.delete(exchange);
      // The upstream's usage as far as it is known (a cut stream: what it reported, or nothing).
      return settleAll(entry, exchange.usage?.totalTokens);
    },
  };
}

/**
 * Gives every slot of an exchange back and settles its token charges with `usedTokens`
 * (undefined: usage unknown, each charge stands). A slot that cannot be given back lapses with
 * its lease; a charge that cannot be settled stands as estimated.
 */
async function settleAll(entry: Held, usedTokens: number | undefined): Promise<void> {
  const [slots, charges] = await Promise.all([
    Promise.allSettled(entry.slots.map((slot) => slot.release())),
    Promise.allSettled(entry.charges.map((charge) => charge.settle(usedTokens))),
  ]);
  for (const result of slots) {
    if (result.status === 'rejected') {
      entry.log.warn(
        { reason: reasonOf(result.reason) },
        'meter could not give a stream slot back; it lapses with its lease',
      );
    }
  }
  for (const result of charges) {
    if (result.status === 'rejected') {
      entry.log.warn(
        { reason: reasonOf(result.reason) },
        'meter could not settle a token charge with the usage; the estimate stands',
      );
    }
  }
}

/** Throws the first refusal, its limit's headers set on the answer. */
function refuseWith(
  exchange: Exchange,
  refusal: { error: RampartError; state: LimitState } | undefined,
): void {
  if (refusal === undefined) return;
  exchange.responseHeaders = { ...exchange.responseHeaders, ...rateLimitHeaders(refusal.state) };
  throw refusal.error;
}

function unavailableError(): RampartError {
  return gatewayError(
    'meter.unavailable',
    'Rate limits cannot be checked right now, so the request was not admitted. Retry shortly.',
  );
}

/** A store error for a log line: its message, bounded (driver messages carry no secret). */
function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
