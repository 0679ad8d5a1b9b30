import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../../config/index.js';
import { gatewayError, type GatewayErrorCode } from '../../errors.js';
import { PROBLEM_CONTENT_TYPE, problemJson } from '../../http/problem.js';
import type { Stage } from '../stage.js';
import { parseJsonBody } from './json-body.js';

/**
 * Stage 1, limits: size, header and body bounds, enforced before any parsing work. Most bounds
 * are Node's own (header bytes, header and request timeouts), set on the server this module
 * creates; the rest are the first hooks and the only body parser the app has.
 */
export function limitsServerOptions(config: Config): Partial<FastifyServerOptions> {
  const { limits, server } = config;
  return {
    bodyLimit: limits.maxBodyBytes,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    requestTimeout: server.requestTimeoutMs,
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    serverFactory: (handler) => {
      const tls = server.tls
        ? { cert: readFileSync(server.tls.certFile), key: readFileSync(server.tls.keyFile) }
        : undefined;
      const options = {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: server.headersTimeoutMs,
        requestTimeout: server.requestTimeoutMs,
        keepAliveTimeout: server.keepAliveTimeoutMs,
        // Node checks the two bounds above only every connectionsCheckingInterval (30 s by
        // default); checking every quarter of the shorter one (100 ms to 30 s) bounds the delay.
        connectionsCheckingInterval: Math.min(
          30_000,
          Math.max(100, Math.floor(Math.min(server.headersTimeoutMs, server.requestTimeoutMs) / 4)),
        ),
      };
      const nodeServer =
        tls === undefined
          ? createHttpServer(options, handler)
          : createHttpsServer({ ...options, ...tls }, handler);
      // One more than allowed so that an over-limit request is detectable, not silently trimmed.
      nodeServer.maxHeadersCount = limits.maxHeaderCount + 1;
      nodeServer.maxConnections = limits.maxConnections;
      return nodeServer;
    },
    clientErrorHandler: writeClientError,
  };
}

export interface LimitsDeps {
  readonly config: Config;
  /** True once shutdown began: new `/v1` requests are refused with 503. */
  readonly isDraining: () => boolean;
}

/**
 * The limits stage's phases: refuse before any body is read when the gateway is draining or the
 * request carries more headers than allowed, and decode bodies as bounded JSON.
 */
export function limitsStage(deps: LimitsDeps): Stage {
  const { maxHeaderCount, maxJsonDepth } = deps.config.limits;
  return {
    name: 'limits',
    headers(_exchange, request) {
      if (deps.isDraining()) {
        throw gatewayError('server.shutting_down');
      }
      if (request.raw.rawHeaders.length / 2 > maxHeaderCount) {
        throw gatewayError(
          'request.headers_too_large',
          `More than ${maxHeaderCount} request headers.`,
        );
      }
    },
    decode: (text) => parseJsonBody(text, maxJsonDepth),
  };
}

const CLIENT_ERRORS: Record<string, { code: GatewayErrorCode; status: number; reason: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: 'request.headers_too_large',
    status: 431,
    reason: 'Request Header Fields Too Large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'request.timeout', status: 408, reason: 'Request Timeout' },
};

/** Node-level parse failures never reach Fastify's router: answer them in problem+json here. */
function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const known = CLIENT_ERRORS[error.code ?? ''] ?? {
    code: 'request.bad_request' as const,
    status: 400,
    reason: 'Bad Request',
  };
  const body = problemJson(known.code, 'none');
  socket.end(
    `HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
