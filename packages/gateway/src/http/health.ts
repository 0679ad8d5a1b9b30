import type { FastifyInstance } from 'fastify';
import { gatewayError } from '../errors.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import type { IpAllowlist } from './ip-allowlist.js';
import { sendProblem } from './error-handler.js';

export interface HealthDeps {
  /** Resolves when the database answers; rejects otherwise. */
  readonly pingDatabase: () => Promise<void>;
  /** Set when `redis.url` is: resolves when Redis answers. */
  readonly pingRedis?: (() => Promise<void>) | undefined;
  readonly isDraining: () => boolean;
  readonly metrics: GatewayMetrics;
  /** Undefined: `/metrics` is not served. */
  readonly metricsAllow: IpAllowlist | undefined;
}

/**
 * Liveness (the process answers), readiness (it can serve: database reachable, not draining)
 * and Prometheus metrics, readable only from the configured addresses.
 */
export function installHealth(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (deps.isDraining()) {
      return sendProblem(request, reply, gatewayError('server.shutting_down'));
    }
    const [database, redis] = await Promise.all([
      deps.pingDatabase().then(
        () => 'ok' as const,
        () => 'failing' as const,
      ),
      deps.pingRedis?.().then(
        () => 'ok' as const,
        () => 'failing' as const,
      ),
    ]);
    const checks = redis === undefined ? { database } : { database, redis };
    if (database === 'ok' && redis !== 'failing') return { status: 'ready', checks };
    const message =
      database === 'ok'
        ? 'Redis is not reachable.'
        : redis === 'failing'
          ? 'The database and Redis are not reachable.'
          : 'The database is not reachable.';
    const error = gatewayError('server.not_ready', message, { extensions: { checks } });
    return sendProblem(request, reply, error);
  });

  const allow = deps.metricsAllow;
  if (allow === undefined) return;
  app.get('/metrics', async (request, reply) => {
    // request.ip honours X-Forwarded-For only from trusted proxies, so it cannot be forged.
    if (!allow.has(request.ip)) {
      return sendProblem(
        request,
        reply,
        gatewayError('route.not_found', 'No route for GET /metrics.'),
      );
    }
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
