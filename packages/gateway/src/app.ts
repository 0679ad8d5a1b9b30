import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installAdmin, type IsAdmin } from './admin/index.js';
import type { AttestationRuntime } from './attestation/index.js';
import { installAttestationRoutes } from './attestation/routes.js';
import type { Config } from './config/index.js';
import { installIdentity, type IdentityWiring } from './identity/provider/index.js';
import { installCors } from './http/cors.js';
import { installErrorHandlers, refuse, sendProblem } from './http/error-handler.js';
import { installHealth } from './http/health.js';
import { ipAllowlist } from './http/ip-allowlist.js';
import { requestIdGenerator } from './http/request-id.js';
import { accessLogger } from './http/access-log.js';
import { framingProblem } from './http/framing.js';
import { routeOf } from './http/route-info.js';
import type { GatewayMetrics } from './monitor/metrics.js';
import { gatewayStages, installPipeline, type Stage } from './pipeline/index.js';
import { limitsServerOptions } from './pipeline/limits/index.js';
import type { ServiceKeyLookup } from './pipeline/authenticate/index.js';
import type { ModelRouter } from './pipeline/parse/router.js';
import type { UsageSink } from './pipeline/record/usage.js';
import type { Authenticator } from './pipeline/authenticate/index.js';
import type { SessionService } from './identity/sessions/index.js';
import type { Kysely } from 'kysely';
import type { Database } from './store/schema.js';
import type { RedisConnection } from './redis/index.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: FastifyBaseLogger;
  readonly router: ModelRouter;
  readonly metrics: GatewayMetrics;
  readonly usage: UsageSink;
  readonly pingDatabase: () => Promise<void>;
  /** Aborted when the shutdown grace runs out: ends in-flight upstream calls and streams. */
  readonly shutdown: AbortSignal;
  /** True once shutdown began: new `/v1` requests and `/readyz` answer 503. */
  readonly isDraining: () => boolean;
  /** Service keys (`rk_…`), looked up when `auth.serviceKeys.enabled`. */
  readonly serviceKeys?: ServiceKeyLookup | undefined;
  /** The `/v1` stage list; the gateway's own by default. Tests pass theirs to stub neighbours. */
  readonly stages?: readonly Stage[];
  /** Resolves when Redis answers (`redis.url` set); `/readyz` then checks it too. */
  readonly pingRedis?: (() => Promise<void>) | undefined;
  /** The authenticator shared by the `/v1` stage and the admin API (server.ts builds it). */
  readonly authenticator?: Authenticator | undefined;
  /** Devices and sessions, for the admin API; without it `/admin/v1` is not served. */
  readonly sessions?: SessionService | undefined;
  /** Who may use the admin API; default: holds `admin.role` (the authorization work may replace it). */
  readonly isAdmin?: IsAdmin;
  /** The embedded OAuth provider's collaborators; used when `identity.enabled`. */
  readonly identity?: IdentityWiring | undefined;
  /** Attestation platforms (attestation/): the attest stage and `/attest/v1`, when configured. */
  readonly attestation?: AttestationRuntime | undefined;
  /** The gateway's Redis (`redis.url`): the meter stage's counters, shared by replicas. */
  readonly redis?: RedisConnection | undefined;
  /** The store, for the admin API's service keys and accounts; without it those are not served. */
  readonly db?: Kysely<Database> | undefined;
}

/** Composition only: builds the Fastify app from a validated Config and its collaborators. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { config } = deps;
  const trusted = ipAllowlist(config.server.trustedProxies);
  const accessLog = accessLogger(deps.metrics);
  const app = Fastify({
    ...limitsServerOptions(config, { log: deps.logger, metrics: deps.metrics }),
    loggerInstance: deps.logger,
    // The record stage writes one access line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdGenerator(trusted),
    trustProxy: (address: string) => trusted.has(address),
    routerOptions: { maxParamLength: 256 },
    // Errors Fastify raises before routing (a malformed percent-encoding in the path) get what
    // every answer gets: a request id, problem+json, an access line and a metric.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      accessLog(request, reply);
      void sendProblem(request, reply, refuse(error, request, deps.metrics));
    },
  });

  app.decorateRequest('exchange', null);
  app.decorateRequest('routeInfo', null);
  // The first hook, and the only app-wide one on the hot path (each hook and listener per
  // request is measurable): the request id, the response watcher (access line, metrics, in-flight
  // mark) and, outside `/v1`, the framing check (the limits stage runs it for `/v1`, so that
  // the refusal ends the exchange like any other).
  const { maxHeaderCount } = config.limits;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    accessLog(request, reply);
    if (routeOf(request).endpoint === undefined) {
      done(framingProblem(request, maxHeaderCount));
      return;
    }
    done();
  });
  installErrorHandlers(app, deps.metrics);
  // Outside `/v1` no route takes a body: accept any content type unread (a 404 stays a 404),
  // so only the pipeline's bounded decoder ever parses one.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  installCors(
    app,
    config.server.cors.origins,
    config.server.cors.maxAgeSeconds,
    new URL(config.server.publicUrl).origin,
  );
  installHealth(app, {
    pingDatabase: deps.pingDatabase,
    pingRedis: deps.pingRedis,
    isDraining: deps.isDraining,
    metrics: deps.metrics,
    metricsAllow: config.metrics.enabled ? ipAllowlist(config.metrics.allow) : undefined,
  });
  const localIssuer =
    deps.identity === undefined
      ? undefined
      : installIdentity(app, { config, logger: deps.logger, ...deps.identity });
  installPipeline(app, deps.stages ?? gatewayStages({ ...deps, localIssuer }), deps);
  installAdmin(app, deps);
  installAttestationRoutes(app, deps);
  return app;
}
