import type { LogprobsPolicy, MeterCapConfig } from '../../config/meter-schema.js';
import { gatewayError } from '../../errors.js';
import type { Exchange } from '../exchange.js';
import type { ChatRequest } from '../parse/schemas.js';
import { limitApplies } from './keys.js';

/** The answer header naming the parameters Rampart changed on the way upstream. */
export const CLAMPED_HEADER = 'x-rampart-clamped';

const TOKEN_PARAMETERS = ['max_tokens', 'max_completion_tokens'] as const;
const STRICTNESS: Record<LogprobsPolicy, number> = { allow: 0, strip: 1, refuse: 2 };

/**
 * Enforces `meter.caps` on a validated chat request (after parse; embeddings are never capped).
 * Every cap that applies (by role, alias, attestation) applies, so each setting's strictest
 * value wins: the smallest number, the strictest logprobs policy. A request beyond a cap is
 * refused with 400 `meter.cap_exceeded` (the parameter and the cap named) or, for logprobs,
 * `meter.logprobs_forbidden`; one the config says to trim is changed in `exchange.upstreamBody`
 * only (what authorize judged stays as the client sent it). Returns the parameters it changed,
 * for `announceClamped` once the request is admitted.
 */
export function enforceCaps(caps: readonly MeterCapConfig[], exchange: Exchange): string[] {
  if (exchange.request?.kind !== 'chat' || exchange.upstreamBody === undefined) return [];
  const applicable = caps.filter((cap) => limitApplies(cap, exchange));
  if (applicable.length === 0) return [];
  const body = exchange.request.body;
  const upstream = { ...exchange.upstreamBody };
  const clamped: string[] = [];

  // Log probabilities: the strictest policy of the caps that apply.
  const asksLogprobs =
    (body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== false) ||
    (body.top_logprobs !== undefined && body.top_logprobs !== null);
  let policy: { mode: LogprobsPolicy; cap: string } = { mode: 'allow', cap: '' };
  for (const cap of applicable) {
    if (cap.logprobs !== undefined && STRICTNESS[cap.logprobs] > STRICTNESS[policy.mode]) {
      policy = { mode: cap.logprobs, cap: cap.name };
    }
  }
  if (asksLogprobs && policy.mode === 'refuse') {
    throw gatewayError(
      'meter.logprobs_forbidden',
      `Log probabilities (logprobs, top_logprobs) are not available for model "${body.model}"; send the request without them.`,
      { extensions: { cap: policy.cap } },
    );
  }
  if (asksLogprobs && policy.mode === 'strip') {
    delete upstream['logprobs'];
    delete upstream['top_logprobs'];
    clamped.push('logprobs');
  } else if (typeof body.top_logprobs === 'number') {
    refuseAbove(applicable, 'topLogprobs', 'top_logprobs', body.top_logprobs);
  }

  refuseAbove(applicable, 'n', 'n', body.n ?? 1);
  refuseAbove(
    applicable,
    'maxTools',
    'tools',
    (body.tools?.length ?? 0) + (body.functions?.length ?? 0),
  );
  const promptCapped = applicable.some((cap) => cap.maxPromptChars !== undefined);
  if (promptCapped) refuseAbove(applicable, 'maxPromptChars', 'messages', promptChars(body));

  // Output tokens: refused above a refusing cap, lowered to a clamping one, set when absent.
  const refusing = tightestOf(applicable.filter((cap) => cap.overMaxTokens === 'refuse'));
  const clamping = tightestOf(applicable.filter((cap) => cap.overMaxTokens === 'clamp'));
  let named = false;
  for (const parameter of TOKEN_PARAMETERS) {
    const asked = body[parameter];
    if (asked === undefined || asked === null) continue;
    named = true;
    if (refusing !== undefined && asked > refusing.maxTokens) {
      throw capExceeded(parameter, asked, refusing.maxTokens, refusing.name);
    }
    if (clamping !== undefined && asked > clamping.maxTokens) {
      upstream[parameter] = clamping.maxTokens;
      clamped.push(parameter);
    }
  }
  const bound = [refusing, clamping]
    .filter((cap) => cap !== undefined)
    .sort((a, b) => a.maxTokens - b.maxTokens)[0];
  if (!named && bound !== undefined) {
    // A request naming no bound would generate as long as the model allows: it gets the cap.
    upstream[bound.capParameter] = bound.maxTokens;
    clamped.push(bound.capParameter);
  }

  exchange.upstreamBody = upstream;
  return clamped;
}

/**
 * Tells the client which parameters were changed on the way upstream (`x-rampart-clamped`,
 * e.g. `logprobs, max_tokens`). Called only for an admitted request: a refusal by a later limit
 * must not claim a change to a request that was never sent.
 */
export function announceClamped(exchange: Exchange, clamped: readonly string[]): void {
  if (clamped.length === 0) return;
  exchange.responseHeaders = { ...exchange.responseHeaders, [CLAMPED_HEADER]: clamped.join(', ') };
}

type NumericCap = 'n' | 'maxTools' | 'maxPromptChars' | 'topLogprobs';

/** Refuses when `value` is above the smallest of the caps' `setting`, naming that cap. */
function refuseAbove(
  caps: readonly MeterCapConfig[],
  setting: NumericCap,
  parameter: string,
  value: number,
): void {
  let tightest: { value: number; name: string } | undefined;
  for (const cap of caps) {
    const capValue = cap[setting];
    if (capValue !== undefined && (tightest === undefined || capValue < tightest.value)) {
      tightest = { value: capValue, name: cap.name };
    }
  }
  if (tightest !== undefined && value > tightest.value) {
    throw capExceeded(parameter, value, tightest.value, tightest.name);
  }
}

/** The cap with the smallest `maxTokens` among those that set one. */
function tightestOf(
  caps: readonly MeterCapConfig[],
): (MeterCapConfig & { maxTokens: number }) | undefined {
  let best: (MeterCapConfig & { maxTokens: number }) | undefined;
  for (const cap of caps) {
    const maxTokens = cap.maxTokens;
    if (maxTokens !== undefined && (best === undefined || maxTokens < best.maxTokens)) {
      best = { ...cap, maxTokens };
    }
  }
  return best;
}

function capExceeded(parameter: string, value: number, max: number, cap: string) {
  const what = parameter === 'messages' ? 'characters of prompt text' : parameter;
  return gatewayError(
    'meter.cap_exceeded',
    `The request asks for ${value} ${what}; this model allows at most ${max} for you.`,
    { extensions: { parameter, max, cap } },
  );
}

/**
 * Characters of text in the messages: string `content`, content parts' `text`, tool calls'
 * `arguments`. The walk is bounded by the validated body (message and tool-call counts are
 * bounded by the schema and `limits`); nothing is allocated per character.
 */
export function promptChars(body: Pick<ChatRequest, 'messages'>): number {
  let total = 0;
  for (const message of body.messages) {
    const content = message.content;
    if (typeof content === 'string') total += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = (part as Record<string, unknown>)['text'];
        if (typeof text === 'string') total += text.length;
      }
    }
    for (const call of message.tool_calls ?? []) {
      const fn = (call as Record<string, unknown>)['function'];
      if (typeof fn === 'object' && fn !== null) {
        const args = (fn as Record<string, unknown>)['arguments'];
        if (typeof args === 'string') total += args.length;
      }
    }
  }
  return total;
}
