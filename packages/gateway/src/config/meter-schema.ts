import { z } from 'zod';
import './meta.js';

/**
 * The `meter` section: named limits the meter stage enforces on `/v1/chat/completions` and
 * `/v1/embeddings` (pipeline/meter/). Each limit is a request window (`requests` per
 * `windowSeconds`), a token window (`tokens` per `windowSeconds`) or a cap on the streams a key
 * may hold open at once (`concurrentStreams`), counted per key: the values the request has for the parts named in `key`. Empty by default:
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
      'A request window: at most this many requests per key in each fixed window of `windowSeconds` (429 `meter.rate_limited` beyond). Every request the limit applies to counts, refused ones included. Set with `windowSeconds`; not with `tokens` or `concurrentStreams`.',
    defaultText: 'unset',
  }),
  tokens: z.number().int().min(1).max(1_000_000_000_000).optional().meta({
    description:
      "A token window: at most this many tokens (prompt plus output, as the upstream counts them) per key in each fixed window of `windowSeconds`. A request's tokens are estimated before the upstream call (prompt counted with a tokenizer plus its output allowance, `meter.defaultOutputTokens` when it names none) and refused with 429 `meter.rate_limited` when the estimate does not fit; once the exchange ends the charge is corrected to the upstream's reported usage. Set with `windowSeconds`; not with `requests` or `concurrentStreams`.",
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
        'Length of the request or token window in seconds (1 s to 31 days). Windows are fixed, starting at the first request of a key: docs/abuse-control.md says what that allows.',
      defaultText: 'unset',
    }),
  concurrentStreams: z.number().int().min(1).max(1_000_000).optional().meta({
    description:
      'A concurrency limit: at most this many streamed chat requests (`stream: true`) open at once per key (429 `meter.concurrency_limited` beyond). A slot is taken when the stream is admitted and given back once when the exchange ends, however it ends. Requests that do not stream are not counted. Not with `requests` or `tokens`.',
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

/** What a cap does with `logprobs` / `top_logprobs`; the strictest of the caps that apply wins. */
export const LOGPROBS_POLICIES = ['allow', 'strip', 'refuse'] as const;
export type LogprobsPolicy = (typeof LOGPROBS_POLICIES)[number];

export const meterCapSchema = z.strictObject({
  name: limitName.meta({
    description:
      'Unique name of the cap: the `cap` member of a `meter.cap_exceeded` or `meter.logprobs_forbidden` problem.',
  }),
  roles: z.array(name).min(1).optional().meta({
    description:
      'Applies only to callers holding at least one of these roles. Unset: every caller. Needs authentication on.',
    defaultText: 'unset (every caller)',
  }),
  aliases: z.array(name).min(1).optional().meta({
    description:
      'Applies only to requests for these chat model aliases (keys of `models`). Unset: every chat alias. Caps never apply to `/v1/embeddings`.',
    defaultText: 'unset (every chat alias)',
  }),
  attestation: z.enum(['any', 'attested', 'unattested']).default('any').meta({
    description:
      "Applies by the attest stage's finding, as for `meter.limits`: `attested`, `unattested` (anything short of attested) or `any`.",
  }),
  maxTokens: z.number().int().min(1).max(10_000_000).optional().meta({
    description:
      'The most output tokens one request may ask for, in `max_tokens` and in `max_completion_tokens`. Beyond it the request is refused (`overMaxTokens: refuse`) or the value sent upstream is lowered to it (`clamp`). A request that names neither gets this cap set upstream (in `capParameter`), so no request generates without bound; both are announced in `x-rampart-clamped`.',
    defaultText: 'unset (no cap)',
  }),
  overMaxTokens: z.enum(['refuse', 'clamp']).default('refuse').meta({
    description:
      '`refuse` (400 `meter.cap_exceeded` naming the parameter) or `clamp` (sent upstream as `maxTokens`, the answer carries `x-rampart-clamped`) for a request above `maxTokens`.',
  }),
  capParameter: z
    .enum(['max_completion_tokens', 'max_tokens'])
    .default('max_completion_tokens')
    .meta({
      description:
        'Which parameter carries `maxTokens` upstream when the client named neither. `max_completion_tokens` suits OpenAI (its reasoning models refuse `max_tokens`) and the Anthropic adapter; choose `max_tokens` for an OpenAI-compatible server that reads only that one (it would ignore the other, leaving the request unbounded).',
    }),
  n: z.number().int().min(1).max(128).optional().meta({
    description: 'The most choices (`n`, 1 when absent) one request may ask for; beyond: refused.',
    defaultText: 'unset (no cap)',
  }),
  maxPromptChars: z.number().int().min(1).max(100_000_000).optional().meta({
    description:
      'The most characters (UTF-16 code units) of text the messages may carry: string `content`, the `text` of content parts and the `arguments` of tool calls (images and audio are not counted). Characters, not tokens: about four per token for English text. Beyond: 400 `meter.cap_exceeded` naming `messages`, as OpenAI answers an over-long prompt.',
    defaultText: 'unset (no cap)',
  }),
  maxTools: z.number().int().min(0).max(256).optional().meta({
    description:
      'The most tool and function definitions (`tools` plus `functions`) one request may carry; beyond: refused. 0 allows none.',
    defaultText: 'unset (no cap)',
  }),
  logprobs: z.enum(LOGPROBS_POLICIES).optional().meta({
    description:
      'A request asking for log probabilities (`logprobs: true` or any `top_logprobs`): `allow`, `strip` (both removed from what is sent upstream, announced in `x-rampart-clamped`) or `refuse` (400 `meter.logprobs_forbidden`). Log probabilities make a model far cheaper to copy. The strictest of the caps that apply wins.',
    defaultText: 'unset (allow)',
  }),
  topLogprobs: z.number().int().min(0).max(20).optional().meta({
    description:
      'The most `top_logprobs` a request may ask for where log probabilities are allowed; beyond: refused.',
    defaultText: 'unset (no cap)',
  }),
});

export type MeterCapConfig = z.output<typeof meterCapSchema>;

export const meterSchema = z.strictObject({
  limits: z.array(meterLimitSchema).max(64).default([]).meta({
    description:
      'Named limits on `/v1/chat/completions` and `/v1/embeddings`, each a request window (`requests` + `windowSeconds`), a token window (`tokens` + `windowSeconds`) or a stream concurrency limit (`concurrentStreams`). A request must pass every limit that applies to it. Counters live in memory, or in Redis (shared by replicas) when `redis.url` is set. Empty (the default): nothing is limited.',
  }),
  caps: z.array(meterCapSchema).max(64).default([]).meta({
    description:
      'Caps on what one chat request may ask for (`max_tokens`, `n`, prompt length, tools, `logprobs`), per model alias, role and attestation state. Every cap that applies to a request applies, so the strictest value of each wins. Checked before `limits`. Empty (the default): no caps.',
  }),
  defaultOutputTokens: z.number().int().min(1).max(10_000_000).default(4096).meta({
    description:
      "The output tokens a token window charges up front for a chat request that names neither `max_tokens` nor `max_completion_tokens` (after `meter.caps`, which may set one). Corrected to the upstream's reported usage once the exchange ends; a request whose answer is longer is charged the difference then, so a value below the models' real output only lets in-flight requests overspend more.",
  }),
  streamLeaseSeconds: z.number().int().min(10).max(3_600).default(60).meta({
    description:
      'With Redis, how long a stream slot survives without its replica renewing it (renewed every third of this while the stream is open): the bound on how long a crashed replica can keep slots taken.',
  }),
});

export type MeterConfig = z.output<typeof meterSchema>;
