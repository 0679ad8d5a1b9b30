import type { ChatParameterName } from '../../pipeline/parse/parameters.js';
import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { unsupported } from './invalid.js';

/**
 * What the Anthropic adapter does with each chat parameter the gateway forwards: translated
 * (request.ts), accepted only with the value that means what Anthropic does anyway, or refused
 * with `request.unsupported_by_provider`. Silently dropping one (n=3, a JSON schema, a seed)
 * would hand the client an answer that breaks the contract it asked for, with nothing to tell
 * it why. Typed against the gateway's parameter table, so a parameter the gateway starts to
 * forward needs a decision here before the build passes. docs/parameters.md shows this table.
 */
export type AnthropicDecision =
  | { readonly translate: string }
  | { readonly onlyDefault: string; readonly accepts: (value: unknown) => boolean }
  | { readonly refuse: string };

const translate = (how: string) => ({ translate: how });
const onlyDefault = (what: string, accepts: (value: unknown) => boolean) => ({
  onlyDefault: what,
  accepts,
});
const refuse = (why: string) => ({ refuse: why });

export const ANTHROPIC_PARAMETERS = {
  audio: refuse('Anthropic generates no audio'),
  frequency_penalty: onlyDefault('`0`', (v) => v === 0),
  function_call: refuse('the legacy function calling; use `tool_choice`'),
  functions: refuse('the legacy function calling; use `tools`'),
  logit_bias: onlyDefault('`{}`', (v) => isObject(v) && Object.keys(v).length === 0),
  logprobs: onlyDefault('`false`', (v) => v === false),
  max_completion_tokens: translate(
    '`max_tokens` (4096 when neither is given: Anthropic needs one)',
  ),
  max_tokens: translate('`max_tokens`, when `max_completion_tokens` is absent'),
  messages: translate('`system` and `messages`'),
  metadata: onlyDefault('`{}`', (v) => isObject(v) && Object.keys(v).length === 0),
  modalities: onlyDefault(
    '`["text"]`',
    (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text',
  ),
  model: translate("`model`: the alias's configured model"),
  moderation: refuse("OpenAI's moderation models have no Anthropic counterpart"),
  n: onlyDefault('`1`', (v) => v === 1),
  parallel_tool_calls: translate('`tool_choice.disable_parallel_tool_use`'),
  prediction: refuse('Anthropic has no predicted outputs'),
  presence_penalty: onlyDefault('`0`', (v) => v === 0),
  prompt_cache_key: refuse('Anthropic caches by `cache_control` markers, not by key'),
  prompt_cache_options: refuse('Anthropic caches by `cache_control` markers'),
  prompt_cache_retention: refuse('Anthropic sets cache lifetimes on `cache_control` markers'),
  reasoning_effort: refuse('Anthropic takes a thinking budget in tokens, not an effort level'),
  response_format: onlyDefault('`{"type": "text"}`', (v) => isObject(v) && v.type === 'text'),
  safety_identifier: refuse('Anthropic takes one user id, already translated from `user`'),
  seed: refuse('Anthropic has no deterministic sampling'),
  service_tier: onlyDefault('`auto`', (v) => v === 'auto'),
  stop: translate('`stop_sequences`'),
  store: onlyDefault('`false`', (v) => v === false),
  stream: translate('the streaming Messages API'),
  stream_options: translate('`include_usage` decides whether the usage chunk is sent'),
  temperature: translate('`temperature`, 0 to 1 only: rescaling would change every value'),
  tool_choice: translate('`tool_choice`'),
  tools: translate('`tools` (function tools; `strict` is refused)'),
  top_logprobs: onlyDefault('`0`', (v) => v === 0),
  top_p: translate('`top_p`'),
  user: translate('`metadata.user_id`'),
  verbosity: refuse('Anthropic has no verbosity setting'),
  web_search_options: refuse('never reaches the adapter: the gateway refuses it'),
} as const satisfies Record<ChatParameterName, AnthropicDecision>;

const decisions: Readonly<Record<string, AnthropicDecision>> = ANTHROPIC_PARAMETERS;

/**
 * Refuses, with `request.unsupported_by_provider`, every parameter of the body that the
 * translation does not carry over: null values mean "not set" and pass.
 */
export function refuseUntranslatable(body: JsonObject): void {
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    const decision = Object.hasOwn(decisions, key) ? decisions[key] : undefined;
    if (decision !== undefined && 'translate' in decision) continue;
    if (decision !== undefined && 'accepts' in decision && decision.accepts(value)) continue;
    // Refused, or a vendor extension an operator enabled for a provider of this type.
    throw unsupported(key);
  }
}
