import { z } from 'zod';
import './meta.js';

/**
 * The `meter` section: named limits the meter stage enforces on `/v1/chat/completions` and
 * `/v1/embeddings` (pipeline/meter/). Each limit is either a request window (`requests` per
 * `windowSeconds`) or a cap on the streams a key may hold open at once (`concurrentStreams`),
 * counted per key: the values the request has for the parts named in `key`. Empty by default:
 * nothing is limited until the operator says what to limit.
 *
 * Cross-field rules (exactly one kind per limit, unique names, keys that need authentication,
 * aliases that exist) live in meter-checks.ts, so that each problem names its key and its fix.
 */

/** What a limit can be keyed on: the parts the meter stage reads from the exchange. */
export const METER_KEY_PARTS = ['alias', 'app', 'device', 'ip', 'subject', 'tenant'] as const;
export type MeterKeyPart = (typeof METER_KEY_PARTS)[number];

/** Key parts that come from the verified caller, so need `/v1` authenticated. */
export const PRINCIPAL_KEY_PARTS: readonly MeterKeyPart[] = ['app', 'device', 'subject', 'tenant'];

/**
 * A limit's name: a Prometheus label value, a Redis key segment and a structured-field string
 * in the `RateLimit` headers, so letters, digits and `. _ -` only (no quote or backslash).
 */
const limitName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits and . _ - (at most 64)');

/** Role and alias names, as authz-schema.ts accepts them. */
const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, 'expected letters, digits and . _ : @ / -');

export const meterLimitSchema = z.strictObject({
  name: limitName.meta({
    description:
      'Unique name of the limit: shown to clients in `RateLimit` / `RateLimit-Policy` and in the 429 problem (`limit`), and the `limit` label of `rampart_meter_decisions_total`.',
  }),
  key: z.array(z.enum(METER_KEY_PARTS)).min(1).meta({
    description:
      'What is counted separately: the combination of these parts of a request. `subject` (the token `sub`, with its issuer), `device` (the DPoP key thumbprint), `tenant`, `app` (the token `client_id`), `ip` (the client address, `server.trustedProxies` applied), `alias` (the model alias). A part the request lacks (no device for a service key) counts as the placeholder `-`, shared by every such request, never skipped. `subject`, `device`, `tenant` and `app` need authentication on.',
  }),
  requests: z.number().int().min(1).max(1_000_000_000).optional().meta({
    description:
      'A request window: at most this many requests per key in each fixed window of `windowSeconds` (429 `meter.rate_limited` beyond). Every request the limit applies to counts, refused ones included. Set with `windowSeconds`; not with `concurrentStreams`.',
    defaultText: 'unset',
  }),
  windowSeconds: z
    .number()
    .int()
    .min(1)
    .max(31 * 86_400)
    .optional()
    .meta({
      description:
        'Length of the request window in seconds (1 s to 31 days). Windows are fixed, starting at the first request of a key: docs/abuse-control.md says what that allows.',
      defaultText: 'unset',
    }),
  concurrentStreams: z.number().int().min(1).max(1_000_000).optional().meta({
    description:
      'A concurrency limit: at most this many streamed chat requests (`stream: true`) open at once per key (429 `meter.concurrency_limited` beyond). A slot is taken when the stream is admitted and given back once when the exchange ends, however it ends. Requests that do not stream are not counted. Not with `requests`.',
    defaultText: 'unset',
  }),
  roles: z.array(name).min(1).optional().meta({
    description:
      "Applies only to callers holding at least one of these roles (the token's or service key's roles). Unset: every caller. Needs authentication on.",
    defaultText: 'unset (every caller)',
  }),
  attestation: z.enum(['any', 'attested', 'unattested']).default('any').meta({
    description:
      "Applies by the attest stage's finding: `attested` only to requests from an attested install, `unattested` to every other request (unattested, attestation unavailable, or not asked for), `any` to all.",
  }),
  aliases: z.array(name).min(1).optional().meta({
    description:
      'Applies only to requests for these model aliases (keys of `models`). Unset: every alias.',
    defaultText: 'unset (every alias)',
  }),
  failOpen: z.boolean().default(false).meta({
    description:
      'When the counter store cannot answer (Redis down or too slow): `false` (the default) refuses the request with 503 `meter.unavailable`; `true` lets it through, logs a warning and counts it (`outcome="fail_open"`). Choose `true` only for limits whose breach costs less than an outage.',
  }),
});

export type MeterLimitConfig = z.output<typeof meterLimitSchema>;

export const meterSchema = z.strictObject({
  limits: z.array(meterLimitSchema).max(64).default([]).meta({
    description:
      'Named limits on `/v1/chat/completions` and `/v1/embeddings`, each a request window (`requests` + `windowSeconds`) or a stream concurrency limit (`concurrentStreams`). A request must pass every limit that applies to it. Counters live in memory, or in Redis (shared by replicas) when `redis.url` is set. Empty (the default): nothing is limited.',
  }),
  streamLeaseSeconds: z.number().int().min(10).max(3_600).default(60).meta({
    description:
      'With Redis, how long a stream slot survives without its replica renewing it (renewed every third of this while the stream is open): the bound on how long a crashed replica can keep slots taken.',
  }),
});

export type MeterConfig = z.output<typeof meterSchema>;
