import type { FastifyInstance } from 'fastify';
import { gatewayError } from '../errors.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import type { IpAllowlist } from './ip-allowlist.js';
import { sendProblem } from './error-handler.js';

export interface HealthDeps {
  /** Resolves when the database answers; rejects otherwise. */
  readonly pingDatabase: () => Promise<void>;
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
    try {
      await deps.pingDatabase();
      return { status: 'ready', checks: { database: 'ok' } };
    } catch {
      const error = gatewayError('server.not_ready', 'The database is not reachable.', {
        extensions: { checks: { database: 'failing' } },
      });
      return sendProblem(request, reply, error);
    }
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
