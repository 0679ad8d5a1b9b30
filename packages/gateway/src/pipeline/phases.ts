import type { FastifyRequest } from 'fastify';
import type { Exchange } from './exchange.js';
import type { PhaseResult, Stage } from './stage.js';

type RequestPhase = (exchange: Exchange, request: FastifyRequest) => PhaseResult;

/** The phases of a stage list, grouped by kind in list order, checked once at start-up. */
export interface PhasePlan {
  readonly headers: readonly RequestPhase[];
  readonly decode: (text: string) => unknown;
  readonly body: readonly RequestPhase[];
  readonly forward: NonNullable<Stage['forward']>;
  readonly response: ReadonlyArray<NonNullable<Stage['response']>>;
  readonly stream: ReadonlyArray<NonNullable<Stage['stream']>>;
  readonly done: ReadonlyArray<NonNullable<Stage['done']>>;
}

/** Throws at start-up when the list is not a pipeline: duplicate names, no or two decoders or forwarders. */
export function planPhases(stages: readonly Stage[]): PhasePlan {
  const names = new Set<string>();
  for (const stage of stages) {
    if (names.has(stage.name)) throw new TypeError(`stage "${stage.name}" is listed twice`);
    names.add(stage.name);
  }
  const only = <K extends 'decode' | 'forward'>(phase: K): NonNullable<Stage[K]> => {
    const owners = stages.filter((stage) => stage[phase] !== undefined);
    if (owners.length !== 1) {
      throw new TypeError(`exactly one stage must implement ${phase}; found ${owners.length}`);
    }
    return owners[0]?.[phase] as NonNullable<Stage[K]>;
  };
  const all = <K extends 'headers' | 'body' | 'response' | 'stream' | 'done'>(phase: K) =>
    stages.flatMap((stage) => {
      const fn = stage[phase];
      return fn === undefined ? [] : [fn];
    });
  return {
    headers: all('headers'),
    decode: only('decode'),
    body: all('body'),
    forward: only('forward'),
    response: all('response'),
    stream: all('stream'),
    done: all('done'),
  };
}

/**
 * Runs request phases in order and calls `next` once: with the first error, or with nothing.
 * Synchronous phases stay synchronous (no promise per phase on the hot path).
 */
export function runRequestPhases(
  phases: readonly RequestPhase[],
  exchange: Exchange,
  request: FastifyRequest,
  next: (error?: Error) => void,
  from = 0,
): void {
  for (let i = from; i < phases.length; i++) {
    let result: PhaseResult;
    try {
      result = (phases[i] as RequestPhase)(exchange, request);
    } catch (error) {
      next(error as Error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => runRequestPhases(phases, exchange, request, next, i + 1),
        (error: unknown) => next(error as Error),
      );
      return;
    }
  }
  next();
}
