import type { GatewayMetrics } from '../../monitor/metrics.js';
import type { Stage } from '../stage.js';
import type { UsageSink } from './usage.js';

/**
 * Stage record (its `/v1` part; the access log and HTTP metrics are app-wide, in
 * http/access-log.ts, so that every answer gets them): once the exchange has ended, count its
 * tokens and leave a usage event for every request that resolved a model — never content,
 * headers or user identity. A client that left mid-answer still leaves its row, with the tokens
 * known so far, because provider tokens were spent on it.
 */
export function recordStage(deps: {
  readonly metrics: GatewayMetrics;
  readonly usage: UsageSink;
}): Stage {
  const { metrics, usage } = deps;
  return {
    name: 'record',
    done(exchange, ending) {
      const model = exchange.route;
      if (model === undefined) return;
      const tokens = exchange.usage;
      if (tokens) {
        const base = { provider: model.provider.name, model: model.alias };
        metrics.tokens.inc({ ...base, kind: 'prompt' }, tokens.promptTokens);
        metrics.tokens.inc({ ...base, kind: 'completion' }, tokens.completionTokens);
      }
      usage.add({
        requestId: exchange.requestId,
        occurredAt: Date.now(),
        route: exchange.routeTemplate,
        modelAlias: model.alias,
        provider: model.provider.name,
        upstreamModel: model.upstreamModel,
        status: ending.status,
        outcome: ending.outcome ?? null,
        promptTokens: tokens?.promptTokens ?? null,
        completionTokens: tokens?.completionTokens ?? null,
        latencyMs: Math.round(performance.now() - exchange.startedAt),
        streamed: exchange.streamed,
      });
    },
  };
}
