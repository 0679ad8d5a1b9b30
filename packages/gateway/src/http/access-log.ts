import type { FastifyReply, FastifyRequest } from 'fastify';
import { inFlightOf } from './in-flight.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import { closedEnding } from '../pipeline/lifecycle.js';

/**
 * One access-log line and the HTTP metrics for every answer, `/v1` or not, written when the
 * response closes: after the last byte, or when the client left first (status 499). Fastify's
 * own request logging is off (it writes two lines and none for an aborted request).
 * The line carries the client address as resolved through trusted proxies, never a header,
 * body or query string.
 */
export function accessLogger(
  metrics: GatewayMetrics,
): (request: FastifyRequest, reply: FastifyReply) => void {
  return (request, reply) => {
    reply.raw.once('close', () => {
      const route = request.routeOptions.url ?? '(unmatched)';
      const elapsedMs = reply.elapsedTime;
      const atSocket = inFlightOf(reply.raw)?.answeredAtSocket;
      const { status, outcome } =
        atSocket === undefined
          ? closedEnding(reply.raw, request.exchange)
          : { status: atSocket.status, outcome: atSocket.code };
      const http = metrics.http(route, request.method, status);
      http.count.inc();
      http.duration.observe(elapsedMs / 1000);
      request.log.info(
        {
          method: request.method,
          route,
          status,
          ms: Math.round(elapsedMs * 10) / 10,
          ip: request.ip,
          model: request.exchange?.route?.alias,
          outcome: request.exchange?.outcome ?? outcome,
        },
        'request',
      );
    });
  };
}
