import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../../config/index.js';
import { clientErrorWriter, type SocketObserver } from './client-error.js';

/**
 * The limits stage's Node-level half: the server and its bounds (header bytes and count, header
 * and request timeouts, connections), applied by Node's HTTP parser before Fastify sees a
 * request; its parse failures are answered by `client-error.ts`.
 */
export function limitsServerOptions(
  config: Config,
  observer: SocketObserver,
): Partial<FastifyServerOptions> {
  const { limits, server } = config;
  return {
    // The default for every route; the `/v1` routes set their own (pipeline/routes.ts).
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
        // The framing check refuses a missing Host as problem+json; Node's own answer is bare.
        requireHostHeader: false,
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
      // Node answers an Expect other than 100-continue with a bare 417 of its own; hand it to
      // the app instead, whose framing check refuses it as problem+json like everything else.
      nodeServer.on('checkExpectation', (req, res) => nodeServer.emit('request', req, res));
      return nodeServer;
    },
    clientErrorHandler: clientErrorWriter(observer),
  };
}
