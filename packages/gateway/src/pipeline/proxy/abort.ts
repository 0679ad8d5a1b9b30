import type { FastifyReply } from 'fastify';
import { gatewayError } from '../../errors.js';

/**
 * A signal that aborts the upstream call when the client goes away before the response is
 * complete, or when the gateway's shutdown grace runs out — so no upstream tokens are spent on
 * an answer nobody will read.
 */
export function upstreamSignal(reply: FastifyReply, shutdown: AbortSignal): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      controller.abort(gatewayError('request.client_closed', 'The client closed the connection.'));
    }
  });
  return AbortSignal.any([controller.signal, shutdown]);
}
