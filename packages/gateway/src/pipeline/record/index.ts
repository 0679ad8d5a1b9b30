import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../../monitor/metrics.js';
import type { UsageSink } from './usage.js';

/**
 * Stage 9, record: once the response is finished (the whole stream included), count it, time it,
 * log one access line and leave a usage event — never content, headers or user identity.
 */
export function installRecord(
  app: FastifyInstance,
  metrics: GatewayMetrics,
  usage: UsageSink,
): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const elapsedMs = reply.elapsedTime;
    const http = metrics.http(route, request.method, reply.statusCode);
    http.count.inc();
    http.duration.observe(elapsedMs / 1000);

    const exchange = request.exchange;
    const model = exchange?.route;
    if (exchange && model) {
      const tokens = exchange.usage;
      if (tokens) {
        const base = { provider: model.provider.name, model: model.alias };
        metrics.tokens.inc({ ...base, kind: 'prompt' }, tokens.promptTokens);
        metrics.tokens.inc({ ...base, kind: 'completion' }, tokens.completionTokens);
      }
      usage.add({
        requestId: request.id,
        occurredAt: Date.now(),
        route,
        modelAlias: model.alias,
        provider: model.provider.name,
        upstreamModel: model.upstreamModel,
        status: reply.statusCode,
        outcome: exchange.outcome ?? null,
        promptTokens: tokens?.promptTokens ?? null,
        completionTokens: tokens?.completionTokens ?? null,
        latencyMs: Math.round(elapsedMs),
        streamed: exchange.streamed,
      });
    }
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(elapsedMs * 10) / 10,
        model: model?.alias,
        outcome: exchange?.outcome,
      },
      'request',
    );
    done();
  });
}
