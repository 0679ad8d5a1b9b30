/**
 * Everything a response needs that does not depend on the request, rendered once whenever the
 * options change. A request takes the snapshot current when it arrived, so `setOptions` never
 * changes an answer halfway through.
 */
import { renderAnthropic, type AnthropicTemplates } from './anthropic.js';
import { prepareFaultResponses, type FaultResponses } from './faults.js';
import { renderOpenAi, type OpenAiTemplates } from './openai.js';
import type { ResolvedOptions } from './options.js';

export interface Rendered {
  readonly options: ResolvedOptions;
  readonly openai: OpenAiTemplates;
  readonly anthropic: AnthropicTemplates;
  readonly faults: FaultResponses;
}

export function render(options: ResolvedOptions): Rendered {
  return {
    options,
    openai: renderOpenAi(options),
    anthropic: renderAnthropic(options),
    faults: prepareFaultResponses(options.retryAfterSeconds, options.errorResponse),
  };
}
