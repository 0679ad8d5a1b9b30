import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayErrorCode } from '../../errors.js';
import { inFlightOn } from '../../http/in-flight.js';
import { PROBLEM_CONTENT_TYPE, problemJson } from '../../http/problem.js';
import type { GatewayMetrics } from '../../monitor/metrics.js';

/** Where socket-level answers are accounted for, like every other answer. */
export interface SocketObserver {
  readonly log: FastifyBaseLogger;
  readonly metrics: GatewayMetrics;
}

const CLIENT_ERRORS: Record<string, { code: GatewayErrorCode; status: number; reason: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: 'request.headers_too_large',
    status: 431,
    reason: 'Request Header Fields Too Large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'request.timeout', status: 408, reason: 'Request Timeout' },
};
const BAD_REQUEST = { code: 'request.bad_request' as const, status: 400, reason: 'Bad Request' };

/** Label for answers given before a request line was understood (no route, no method). */
export const UNPARSED = '(unparsed)';

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a broken request line,
 * too many header bytes, a timeout) in problem+json, with a request id, an access-log line and
 * a metric. When a request is already in flight on the socket (a request timeout while its
 * body arrives), its exchange is ended first and its own access line records the answer; when
 * that request's response has started, nothing more can be written and the socket is closed.
 */
export function clientErrorWriter(observer: SocketObserver) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    const known = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
    const inFlight = inFlightOn(socket);
    if (inFlight?.res.headersSent === true || !socket.writable) {
      socket.destroy();
      return;
    }
    const requestId = inFlight?.requestId ?? randomUUID();
    const write = () => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const body = problemJson(known.code, requestId);
      socket.end(
        `HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    observer.metrics.refusals.inc({ code: known.code });
    if (inFlight !== undefined) {
      inFlight.answeredAtSocket = { status: known.status, code: known.code };
      const ended = inFlight.refuse?.(known.status, known.code) ?? Promise.resolve();
      void ended.then(write, write);
      return;
    }
    const http = observer.metrics.http(UNPARSED, UNPARSED, known.status);
    http.count.inc();
    observer.log.info(
      {
        reqId: requestId,
        method: UNPARSED,
        route: UNPARSED,
        status: known.status,
        ip: socket.remoteAddress,
        outcome: known.code,
      },
      'request',
    );
    write();
  };
}
