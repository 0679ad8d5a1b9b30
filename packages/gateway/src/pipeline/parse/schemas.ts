import { z } from 'zod';

/**
 * Request bodies of the OpenAI-compatible API. Top-level parameters are an allowlist: a
 * parameter Rampart does not know is refused rather than forwarded, because some providers
 * act on provider-specific fields (fetching URLs, storing data) that the operator never chose.
 * Message content stays loosely typed: providers keep adding content part types.
 */
const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const contentPart = z.looseObject({ type: z.string().min(1).max(64) });
const message = z.looseObject({
  role,
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().max(256).optional(),
  tool_call_id: z.string().max(256).optional(),
  tool_calls: z.array(z.looseObject({})).max(1024).optional(),
});
const stop = z.union([z.string().max(4096), z.array(z.string().max(4096)).max(16), z.null()]);
const tool = z.looseObject({ type: z.string().min(1).max(64) });

export function chatRequestSchema(maxMessages: number) {
  return z.strictObject({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1).max(maxMessages),
    stream: z.boolean().nullish(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    n: z.number().int().min(1).max(128).nullish(),
    stop: stop.optional(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    user: z.string().max(256).optional(),
    seed: z.number().int().nullish(),
    tools: z.array(tool).max(256).optional(),
    tool_choice: z.union([z.string().max(64), z.looseObject({})]).optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: z.looseObject({ type: z.string().min(1).max(64) }).optional(),
    reasoning_effort: z.string().max(32).nullish(),
    verbosity: z.string().max(32).nullish(),
    modalities: z.array(z.string().max(32)).max(8).nullish(),
    prediction: z.looseObject({}).nullish(),
    service_tier: z.string().max(32).nullish(),
    metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
    store: z.boolean().nullish(),
    functions: z.array(z.looseObject({})).max(256).optional(),
    function_call: z.union([z.string().max(64), z.looseObject({})]).optional(),
  });
}

const embeddingInput = z.union([
  z.string(),
  z.array(z.string()).min(1).max(2048),
  z.array(z.number().int()).min(1),
  z.array(z.array(z.number().int()).min(1)).min(1).max(2048),
]);

export const embeddingsRequestSchema = z.strictObject({
  model: z.string().min(1).max(256),
  input: embeddingInput,
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().max(65_536).optional(),
  user: z.string().max(256).optional(),
});

export type ChatRequest = z.output<ReturnType<typeof chatRequestSchema>>;
export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;
