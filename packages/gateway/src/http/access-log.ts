import type { FastifyReply, FastifyRequest } from 'fastify';
import { releaseInFlight, trackInFlight, type InFlight } from './in-flight.js';
import { routeOf } from './route-info.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import { closedEnding } from '../pipeline/lifecycle.js';

/**
 * Watches every response with one close listener (one per request is what the hot path can
 * afford): it marks the socket's request in flight (in-flight.ts) and, when the response closes,
 * writes one access-log line and the HTTP metrics for every answer, `/v1` or not, written when the
 * response closes: after the last byte, or when the client left first (status 499). Fastify's
 * own request logging is off (it writes two lines and none for an aborted request).
 * The line carries the client address as resolved through trusted proxies, never a header,
 * body or query string.
 */
/** Levels at which an `info` line is written. */
const WRITES_INFO: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

export function accessLogger(
  metrics: GatewayMetrics,
): (request: FastifyRequest, reply: FastifyReply) => void {
  return (request, reply) => {
    const inFlight = trackInFlight(request.id, reply.raw);
    reply.raw.once('close', () => {
      releaseInFlight(inFlight);
      // A throw here would be an uncaught exception on the server: log it, never let it out.
      try {
        record(request, reply, inFlight);
      } catch (error) {
        request.log.error({ err: error }, 'access log failed');
      }
    });
  };

  function record(request: FastifyRequest, reply: FastifyReply, inFlight: InFlight): void {
    const route = routeOf(request).url ?? '(unmatched)';
    const elapsedMs = reply.elapsedTime;
    const atSocket = inFlight.answeredAtSocket;
    const { status, outcome } =
      atSocket === undefined
        ? closedEnding(reply.raw, request.exchange)
        : { status: atSocket.status, outcome: atSocket.code };
    const http = metrics.http(route, request.method, status);
    http.count.inc();
    http.duration.observe(elapsedMs / 1000);
    // The line is built only when it will be written (the address is resolved through the
    // trusted proxies on demand, which is not free).
    if (!WRITES_INFO.has(request.log.level)) return;
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
  }
}
