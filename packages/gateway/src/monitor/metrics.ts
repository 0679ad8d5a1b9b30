import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { UsageRecorderStats } from '../store/index.js';

/**
 * The gateway's Prometheus metrics, on a registry of its own (several apps can live in one
 * process, as in tests). Labels are bounded: route templates, methods, status codes, configured
 * provider names and model aliases — never a user id, IP, token or raw URL.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /**
   * Counter and histogram children for one route/method/status, created once and reused:
   * prom-client otherwise hashes the label object on every observation.
   */
  http(
    route: string,
    method: string,
    status: number,
  ): { readonly count: { inc(): void }; readonly duration: { observe(seconds: number): void } };
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  readonly upstreamDuration: Histogram<'provider' | 'outcome'>;
  readonly tokens: Counter<'provider' | 'model' | 'kind'>;
  readonly streamsInterrupted: Counter<'provider' | 'code'>;
  readonly refusals: Counter<'code'>;
}

export function createMetrics(options: {
  defaultMetrics: boolean;
  usageStats?: () => UsageRecorderStats;
}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'rampart_' });
  if (options.usageStats) registerUsageMetrics(registry, options.usageStats);
  const children = new Map<string, ReturnType<GatewayMetrics['http']>>();
  const latencyBuckets = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
  ];
  const metrics: Omit<GatewayMetrics, 'http'> = {
    registry,
    httpRequests: new Counter({
      name: 'rampart_http_requests_total',
      help: 'HTTP requests by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'rampart_http_request_duration_seconds',
      help: 'Time from request start to the last byte of the response (whole stream included).',
      labelNames: ['route', 'method', 'status'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'rampart_upstream_request_duration_seconds',
      help: 'Time until the upstream provider answered (response headers), by outcome code.',
      labelNames: ['provider', 'outcome'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'rampart_tokens_total',
      help: 'Tokens reported by upstream providers, by configured model alias and kind (prompt, completion).',
      labelNames: ['provider', 'model', 'kind'],
      registers: [registry],
    }),
    streamsInterrupted: new Counter({
      name: 'rampart_streams_interrupted_total',
      help: 'Streams ended early with a terminal SSE error event, by reason code.',
      labelNames: ['provider', 'code'],
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'rampart_refusals_total',
      help: 'Requests ended with a problem+json error, by stable error code.',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
  return {
    ...metrics,
    http(route, method, status) {
      const key = `${route} ${method} ${status}`;
      let child = children.get(key);
      if (child === undefined) {
        const labels = { route, method, status: String(status) };
        child = {
          count: metrics.httpRequests.labels(labels),
          duration: metrics.httpDuration.labels(labels),
        };
        children.set(key, child);
      }
      return child;
    },
  };
}

/** Usage recording runs behind the request path: make its backlog and losses visible. */
function registerUsageMetrics(registry: Registry, stats: () => UsageRecorderStats): void {
  new Gauge({
    name: 'rampart_usage_events_buffered',
    help: 'Usage events waiting in memory to be written to the database.',
    registers: [registry],
    collect() {
      this.set(stats().buffered);
    },
  });
  let reportedDropped = 0;
  new Counter({
    name: 'rampart_usage_events_dropped_total',
    help: 'Usage events lost because the database was unavailable for too long.',
    registers: [registry],
    collect() {
      const dropped = stats().dropped;
      this.inc(dropped - reportedDropped);
      reportedDropped = dropped;
    },
  });
}
