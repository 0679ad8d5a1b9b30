import type { Config } from '../../config/index.js';
import { gatewayError } from '../../errors.js';
import { framingProblem } from '../../http/framing.js';
import type { Stage } from '../stage.js';
import { parseJsonBody } from './json-body.js';

export { limitsServerOptions } from './server.js';

export interface LimitsDeps {
  readonly config: Config;
  /** True once shutdown began: new `/v1` requests are refused with 503. */
  readonly isDraining: () => boolean;
}

/**
 * Stage limits: size, header and body bounds, enforced before any parsing work. Most bounds
 * are Node's own (header bytes, header and request timeouts), set on the server that
 * `server.ts` creates; this stage refuses, before any body is read, a request while the gateway
 * drains, one with more headers than allowed or with ambiguous framing, and decodes bodies as
 * bounded JSON.
 */
export function limitsStage(deps: LimitsDeps): Stage {
  const { maxHeaderCount, maxJsonDepth, maxObjectKeys } = deps.config.limits;
  const shape = { maxDepth: maxJsonDepth, maxObjectKeys };
  return {
    name: 'limits',
    headers(_exchange, request) {
      if (deps.isDraining()) throw gatewayError('server.shutting_down');
      const problem = framingProblem(request, maxHeaderCount);
      if (problem !== undefined) throw problem;
    },
    decode: (text) => parseJsonBody(text, shape),
  };
}
