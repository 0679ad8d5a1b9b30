import { z } from 'zod';
import type { ChatParameterName } from './parameters.js';

/**
 * Vendor extensions: top-level chat parameters that some OpenAI-compatible servers accept and
 * the OpenAI API does not. None is accepted unless the model's provider lists it in
 * `providers.<name>.extraParameters`, because the same name can mean something else, or
 * nothing, to another server. Each keeps a validator with bounds, like a standard parameter.
 * One line per extension, sorted.
 */
export interface ExtraParameter {
  readonly schema: z.ZodType;
  /** What it does and which servers accept it (docs/parameters.md). */
  readonly doc: string;
}

export const EXTRA_PARAMETERS = {
  min_p: {
    schema: z.number().min(0).max(1).nullish(),
    doc: 'Minimum token probability relative to the most likely token, 0 to 1 (vLLM, SGLang, llama.cpp).',
  },
  repetition_penalty: {
    schema: z.number().gt(0).max(10).nullish(),
    doc: 'Penalty on repeated tokens, above 0 and at most 10; 1 means none (vLLM, SGLang).',
  },
  safe_prompt: {
    schema: z.boolean().nullish(),
    doc: "Prepends Mistral's safety system prompt (Mistral).",
  },
  top_k: {
    schema: z.number().int().min(-1).max(1_000_000).nullish(),
    doc: 'Sample from the k most likely tokens; -1 or 0 turns it off (vLLM, SGLang, llama.cpp).',
  },
} as const satisfies Record<string, ExtraParameter>;

export type ExtraParameterName = keyof typeof EXTRA_PARAMETERS;

export const EXTRA_PARAMETER_NAMES = Object.keys(EXTRA_PARAMETERS) as [
  ExtraParameterName,
  ...ExtraParameterName[],
];

/** An extension never shadows a standard parameter: its name would then mean two things. */
type Overlap = ExtraParameterName & ChatParameterName;
const noOverlap: [Overlap] extends [never] ? true : Overlap = true;
void noOverlap;
