import { z } from 'zod';

/**
 * What Rampart does with every top-level parameter of the OpenAI request bodies it serves: the
 * one table the parse stage builds its schemas from, docs/parameters.md is generated from, the
 * Anthropic adapter's own table is checked against (providers/anthropic/unsupported.ts), and
 * test/parameters/openai-types.typecheck.ts compares, key for key, with the installed `openai`
 * package's request types, so an `openai` upgrade that brings a parameter fails
 * `npm run typecheck` until somebody decides on it here.
 *
 * A forwarded parameter is validated for type and bounds before it is sent, never passed through
 * blindly; a refused one is answered with 400 `request.invalid_parameter` naming it and the
 * reason. Parameters that are neither here nor a vendor extension the model's provider enables
 * (extensions.ts) are refused as unknown: some providers act on fields the operator never chose.
 * Message content stays loosely typed: providers keep adding content part types.
 */
export type ParameterDecision =
  { readonly forward: z.ZodType; readonly note?: string } | { readonly refuse: string };

const forward = <S extends z.ZodType>(schema: S, note?: string) =>
  note === undefined ? { forward: schema } : { forward: schema, note };
const refuse = (reason: string) => ({ refuse: reason });

const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const contentPart = z.looseObject({ type: z.string().min(1).max(64) });
const message = z.looseObject({
  role,
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().max(256).optional(),
  tool_call_id: z.string().max(256).optional(),
  tool_calls: z.array(z.looseObject({})).max(1024).optional(),
});
/** The most messages the schema accepts; the parse stage narrows it to `limits.maxMessages`. */
export const messages = z.array(message).min(1);
const stop = z.union([z.string().max(4096), z.array(z.string().max(4096)).max(16), z.null()]);
const tool = z.looseObject({ type: z.string().min(1).max(64) });
const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
/** A short lowercase word: values that providers keep adding to (effort levels, tiers). */
const word = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'expected a short lowercase word');

export const CHAT_PARAMETERS = {
  audio: forward(
    z
      .strictObject({
        format: z.enum(['wav', 'aac', 'mp3', 'flac', 'opus', 'pcm16']),
        voice: z.union([z.string().min(1).max(64), z.strictObject({ id: z.string().max(256) })]),
      })
      .nullish(),
  ),
  frequency_penalty: forward(z.number().min(-2).max(2).nullish()),
  function_call: forward(z.union([z.string().max(64), z.looseObject({})]).optional()),
  functions: forward(z.array(z.looseObject({})).max(256).optional()),
  logit_bias: forward(
    z
      .record(z.string().regex(/^\d{1,10}$/, 'expected a token id'), z.number().min(-100).max(100))
      .refine((bias) => Object.keys(bias).length <= 1024, 'at most 1024 token ids')
      .nullish(),
  ),
  logprobs: forward(z.boolean().nullish()),
  max_completion_tokens: forward(z.number().int().positive().nullish()),
  max_tokens: forward(z.number().int().positive().nullish()),
  messages: forward(messages),
  metadata: forward(
    z
      .record(z.string().max(64), z.string().max(512))
      .refine((pairs) => Object.keys(pairs).length <= 16, 'at most 16 pairs')
      .nullish(),
    'Tags on the stored completion; nothing is stored unless `store` is true, which is refused.',
  ),
  modalities: forward(
    z
      .array(z.enum(['text', 'audio']))
      .max(2)
      .nullish(),
  ),
  model: forward(
    z.string().min(1).max(256),
    "The client names a model alias; the upstream gets the alias's configured model.",
  ),
  moderation: forward(
    z
      .strictObject({
        model: z.string().min(1).max(256),
        policy: z
          .strictObject({
            input: z.strictObject({ mode: z.enum(['score', 'block']) }).nullish(),
            output: z.strictObject({ mode: z.enum(['score', 'block']) }).nullish(),
          })
          .nullish(),
      })
      .nullish(),
  ),
  n: forward(z.number().int().min(1).max(128).nullish()),
  parallel_tool_calls: forward(z.boolean().optional()),
  prediction: forward(
    z
      .strictObject({
        type: z.literal('content'),
        content: z.union([z.string(), z.array(textPart).max(1024)]),
      })
      .nullish(),
  ),
  presence_penalty: forward(z.number().min(-2).max(2).nullish()),
  prompt_cache_key: forward(z.string().max(1024).nullish()),
  prompt_cache_options: forward(
    z
      .strictObject({
        mode: z.enum(['implicit', 'explicit']).optional(),
        ttl: z
          .string()
          .regex(/^\d{1,4}[mh]$/, 'expected a duration such as 30m')
          .optional(),
      })
      .optional(),
  ),
  prompt_cache_retention: forward(
    z.enum(['in_memory', '24h']).nullish(),
    "How long the provider's prompt cache keeps a prefix; a cache, not a record anyone can read back.",
  ),
  reasoning_effort: forward(word.nullish()),
  response_format: forward(z.looseObject({ type: z.string().min(1).max(64) }).optional()),
  safety_identifier: forward(z.string().max(64).nullish()),
  seed: forward(z.number().int().nullish()),
  service_tier: forward(
    z.enum(['auto', 'default', 'flex']).nullish(),
    '`priority` and `scale` are refused: they are billed at a higher rate or against reserved capacity, a cost the operator decides, not the app.',
  ),
  stop: forward(stop.optional()),
  store: forward(
    z.literal(false).nullish(),
    'Only `false`: `true` keeps the conversation in the provider account for distillation and evals, a retention decision for the operator, not the app.',
  ),
  stream: forward(z.boolean().nullish()),
  stream_options: forward(
    z
      .strictObject({
        include_usage: z.boolean().optional(),
        include_obfuscation: z.boolean().optional(),
      })
      .nullish(),
  ),
  temperature: forward(z.number().min(0).max(2).nullish()),
  tool_choice: forward(z.union([z.string().max(64), z.looseObject({})]).optional()),
  tools: forward(z.array(tool).max(256).optional()),
  top_logprobs: forward(z.number().int().min(0).max(20).nullish()),
  top_p: forward(z.number().min(0).max(1).nullish()),
  user: forward(z.string().max(256).optional()),
  verbosity: forward(z.enum(['low', 'medium', 'high']).nullish()),
  web_search_options: refuse(
    'makes the provider search the web and read pages nobody chose: their text reaches the model without passing Rampart, and each search is billed',
  ),
} as const satisfies Record<string, ParameterDecision>;

export const EMBEDDING_PARAMETERS = {
  dimensions: forward(z.number().int().positive().max(65_536).optional()),
  encoding_format: forward(z.enum(['float', 'base64']).optional()),
  input: forward(
    z.union([
      z.string(),
      z.array(z.string()).min(1).max(2048),
      z.array(z.number().int()).min(1),
      z.array(z.array(z.number().int()).min(1)).min(1).max(2048),
    ]),
  ),
  model: forward(
    z.string().min(1).max(256),
    "The client names a model alias; the upstream gets the alias's configured model.",
  ),
  user: forward(z.string().max(256).optional()),
} as const satisfies Record<string, ParameterDecision>;

export type ChatParameterName = keyof typeof CHAT_PARAMETERS;
export type EmbeddingParameterName = keyof typeof EMBEDDING_PARAMETERS;

/** The zod shape of a table's forwarded parameters. */
export type ForwardedShape<T> = {
  [K in keyof T as T[K] extends { forward: z.ZodType } ? K : never]: T[K] extends {
    forward: infer S;
  }
    ? S
    : never;
};

export function forwardedShape<T extends Record<string, ParameterDecision>>(
  table: T,
): ForwardedShape<T> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, decision] of Object.entries(table)) {
    if ('forward' in decision) shape[name] = decision.forward;
  }
  return shape as ForwardedShape<T>;
}

/** Refused parameters and why, for the refusal's message. */
export function refusedReasons(
  table: Record<string, ParameterDecision>,
): ReadonlyMap<string, string> {
  return new Map(
    Object.entries(table).flatMap(([name, decision]) =>
      'refuse' in decision ? [[name, decision.refuse] as const] : [],
    ),
  );
}
