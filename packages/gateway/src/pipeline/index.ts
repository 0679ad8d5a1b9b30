import type { AttestationRuntime } from '../attestation/index.js';
import type { Config } from '../config/index.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import type { RedisConnection } from '../redis/index.js';
import {
  authenticateStage,
  type Authenticator,
  type ServiceKeyLookup,
} from './authenticate/index.js';
import { attestStage } from './attest/index.js';
import { authorizeStage } from './authorize/index.js';
import type { TrustedIssuer } from './authenticate/verify.js';
import { limitsStage } from './limits/index.js';
import { meterStage } from './meter/index.js';
import { parseStage } from './parse/index.js';
import type { ModelRouter } from './parse/router.js';
import { proxyStage } from './proxy/index.js';
import { recordStage } from './record/index.js';
import type { UsageSink } from './record/usage.js';
import type { Stage } from './stage.js';

export interface PipelineDeps {
  readonly config: Config;
  readonly router: ModelRouter;
  readonly metrics: GatewayMetrics;
  readonly usage: UsageSink;
  /** True once shutdown began: new `/v1` requests are refused with 503. */
  readonly isDraining: () => boolean;
  /** The authenticator shared with the admin API (server.ts); built from config when absent. */
  readonly authenticator?: Authenticator | undefined;
  /** Service keys (`rk_…`), looked up when `auth.serviceKeys.enabled`. */
  readonly serviceKeys?: ServiceKeyLookup | undefined;
  /** The embedded provider as a token issuer, when `identity.enabled`. */
  readonly localIssuer?: TrustedIssuer | undefined;
  /** The attestation platforms, challenges and device registry (attestation/), when configured. */
  readonly attestation?: AttestationRuntime | undefined;
  /** The gateway's Redis (`redis.url`), for counters replicas share (meter); absent: in memory. */
  readonly redis?: RedisConnection | undefined;
}

/**
 * The gateway's request path, and the one place that says its order (DESIGN.md):
 *
 *   1. limits        size, header and body bounds; draining            — here
 *      parse         body validation, model-alias resolution           — here
 *   2. authenticate  access token, DPoP (revocation: identity issue)     — here
 *   3. attest        App Attest, App Check, Play Integrity, key attestation — here
 *   4. authorize     roles and policy (listed before parse: see authorize) — here
 *   5. meter         request windows, stream concurrency (after parse: keys on the alias) — here;
 *                    request caps per alias and role                      — here;
 *                    token windows and money budgets                     — abuse-control issue
 *   6. guard-input   injection, PII, secrets, canaries                   — guardrails issue
 *   7. proxy         the upstream call, JSON and SSE                      — here
 *   8. guard-output  PII restore, leak detection, on streams too         — guardrails issue
 *   9. record        usage event and token counts (audit: monitoring issue) — here
 *
 * Adding a stage is a folder under `pipeline/` exporting a `Stage` and one line here;
 * `plugin.ts` installs whatever this list holds, in this order.
 */
export function gatewayStages(deps: PipelineDeps) {
  return [
    limitsStage(deps),
    // Listed before parse: its `headers` phase refuses before any body is read (as every
    // `headers` phase runs before the body, whatever its place), and nothing else runs first.
    authenticateStage({
      config: deps.config,
      authenticator: deps.authenticator,
      serviceKeys: deps.serviceKeys,
      localIssuer: deps.localIssuer,
    }),
    // After authenticate (attestation is bound to the caller's device key) and before
    // authorize, which then judges the alias a downgrade chose.
    attestStage({ config: deps.config, attestation: deps.attestation }),
    // Before parse on purpose: parse's answers about an alias (unknown, wrong kind, vendor
    // extensions) must reach only callers allowed to use it (authorize/index.ts says why).
    authorizeStage({ config: deps.config }),
    parseStage({ router: deps.router, maxMessages: deps.config.limits.maxMessages }),
    // After parse, which resolves the alias limits key on and filter by, and before the
    // upstream is called: a refused request costs no provider tokens.
    meterStage({ config: deps.config, metrics: deps.metrics, redis: deps.redis }),
    proxyStage(deps),
    recordStage(deps),
  ] as const satisfies readonly Stage[];
}

export { installPipeline, type PipelineWiring } from './plugin.js';
export type { Stage, StageName } from './stage.js';
