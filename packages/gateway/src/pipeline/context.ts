import type { Usage } from '../providers/types.js';
import type { ModelRoute } from './proxy/router.js';

/**
 * What the stages learn about one request, attached to it as it moves along the pipeline.
 * Later stages (record) read it; nothing in it is content.
 */
export interface Exchange {
  route: ModelRoute | undefined;
  usage: Usage | undefined;
  streamed: boolean;
  /** Error code when the request ended badly after the response started (a cut stream). */
  outcome: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    exchange: Exchange | null;
  }
}

export function newExchange(): Exchange {
  return { route: undefined, usage: undefined, streamed: false, outcome: undefined };
}
