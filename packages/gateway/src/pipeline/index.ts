import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import { installLimits } from './limits/index.js';
import { installProxy } from './proxy/index.js';
import type { ModelRouter } from './proxy/router.js';
import { installRecord } from './record/index.js';
import type { UsageSink } from './record/usage.js';

/**
 * The gateway's request path, and the one place that says its order (DESIGN.md):
 *
 *   1. limits        size, header and body bounds                       — here
 *   2. authenticate  access token, DPoP, revocation                      — identity issue
 *   3. attest        App Attest, Play Integrity, key attestation         — attestation issue
 *   4. authorize     roles and policy                                    — identity issue
 *   5. meter         rate limits and token budgets                       — abuse-control issue
 *   6. guard-input   injection, PII, secrets, canaries                   — guardrails issue
 *   7. proxy         the upstream call, JSON and SSE                      — here
 *   8. guard-output  PII restore, leak detection, on streams too         — guardrails issue
 *   9. record        metrics, access log, usage event                    — here (audit: monitoring issue)
 *
 * Fastify runs hooks in the order they are added, so installing in this order is the order.
 */
export const STAGES = ['limits', 'proxy', 'record'] as const;

export interface PipelineDeps {
  readonly config: Config;
  readonly router: ModelRouter;
  readonly metrics: GatewayMetrics;
  readonly usage: UsageSink;
  readonly shutdown: AbortSignal;
}

export function installPipeline(app: FastifyInstance, deps: PipelineDeps): void {
  installLimits(app, deps.config);
  installProxy(app, deps);
  installRecord(app, deps.metrics, deps.usage);
}
