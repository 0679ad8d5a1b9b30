import type { RampartError } from '@rampart/core';
import { isRampartError } from '@rampart/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError, type GatewayErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import { DPOP_NONCE, PROBLEM_CONTENT_TYPE, toProblem, WWW_AUTHENTICATE } from './problem.js';

/** Fastify's own error codes, mapped to the stable codes clients see. */
const FASTIFY_CODES: Readonly<Record<string, GatewayErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request.body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'request.unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'request.unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request.malformed_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request.bad_request',
  FST_ERR_CTP_EMPTY_TYPE: 'request.unsupported_media_type',
  FST_ERR_BAD_URL: 'request.bad_request',
  FST_ERR_ASYNC_CONSTRAINT: 'request.bad_request',
};

/**
 * 5xx refusals that no retry can cure (the gateway's configuration or the provider account is
 * at fault): answered with `x-should-retry: false`, which OpenAI's SDKs honour.
 */
const NOT_RETRYABLE: ReadonlySet<string> = new Set<GatewayErrorCode>([
  'upstream.auth_failed',
  'upstream.model_not_found',
  'upstream.permission_denied',
  'upstream.quota_exceeded',
  'upstream.rejected',
]);

export function toRampartError(error: unknown): RampartError {
  if (isRampartError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  const mapped = FASTIFY_CODES[fastifyError.code ?? ''];
  if (mapped !== undefined) return gatewayError(mapped);
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return gatewayError('request.bad_request');
  return gatewayError('internal.error', 'An unexpected error occurred.', { cause: error });
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: RampartError,
): FastifyReply {
  const retryAfter = error.extensions['retryAfter'];
  if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.ceil(retryAfter)));
  // A refusal of credentials names the schemes accepted (RFC 9110 11.6.1, RFC 6750, RFC 9449).
  const challenge = error.extensions[WWW_AUTHENTICATE];
  if (typeof challenge === 'string') reply.header('www-authenticate', challenge);
  const nonce = error.extensions[DPOP_NONCE];
  if (typeof nonce === 'string') reply.header('dpop-nonce', nonce);
  // OpenAI SDKs retry every 5xx; these only the operator can fix, so a retry is wasted.
  if (NOT_RETRYABLE.has(error.code)) reply.header('x-should-retry', 'false');
  // A draining replica asks the client (or load balancer) to reconnect elsewhere.
  if (error.code === 'server.shutting_down') reply.header('connection', 'close');
  // Refused before its body arrived (a 401 from a headers phase): close rather than keep the
  // connection, for which Node would read and discard the rest of the body, however large.
  else if (bodyPending(request)) reply.header('connection', 'close');
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(toProblem(error, request.id));
}

/** The request announced a body that has not been received in full. */
function bodyPending(request: FastifyRequest): boolean {
  const { headers, complete } = request.raw;
  if (complete) return false;
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Turns anything thrown while handling a request into the refusal the client will see: counts
 * it and logs it (unexpected faults at error, with their cause; refusals at debug).
 */
export function refuse(
  error: unknown,
  request: FastifyRequest,
  metrics: GatewayMetrics,
): RampartError {
  const problem = toRampartError(error);
  metrics.refusals.inc({ code: problem.code });
  if (problem.status >= 500 && problem.code === 'internal.error') {
    request.log.error({ err: error }, 'unhandled error');
  } else {
    request.log.debug({ code: problem.code }, 'request refused');
  }
  return problem;
}

/**
 * Every error outside `/v1`, from any route or from Fastify itself, leaves as problem+json with
 * a stable code (`/v1` has its own handler in the pipeline, which ends the exchange first).
 */
export function installErrorHandlers(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.setErrorHandler((error, request, reply) =>
    sendProblem(request, reply, refuse(error, request, metrics)),
  );
  app.setNotFoundHandler((request, reply) => {
    metrics.refusals.inc({ code: 'route.not_found' });
    return sendProblem(
      request,
      reply,
      gatewayError('route.not_found', `No route for ${request.method} ${pathOf(request.url)}.`),
    );
  });
}

function pathOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  const printable = path.replace(/[^\x21-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
