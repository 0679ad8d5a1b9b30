import { z } from 'zod';
import { EXTRA_PARAMETERS, type ExtraParameterName } from './extensions.js';
import {
  CHAT_PARAMETERS,
  EMBEDDING_PARAMETERS,
  forwardedShape,
  messages,
  refusedReasons,
} from './parameters.js';

/**
 * Request bodies of the OpenAI-compatible API, built from the decision tables in parameters.ts:
 * strict objects of the forwarded parameters, each with its own type and bounds. A model whose
 * provider enables vendor extensions (extensions.ts) gets a schema that accepts those as well.
 */
const chatShape = forwardedShape(CHAT_PARAMETERS);

const baseChatSchema = (maxMessages: number) =>
  z.strictObject({ ...chatShape, messages: messages.max(maxMessages) });
export type ChatRequestSchema = ReturnType<typeof baseChatSchema>;

export function chatRequestSchema(
  maxMessages: number,
  extraParameters: readonly ExtraParameterName[] = [],
): ChatRequestSchema {
  const base = baseChatSchema(maxMessages);
  if (extraParameters.length === 0) return base;
  const extras: Record<string, z.ZodType> = {};
  for (const name of extraParameters) extras[name] = EXTRA_PARAMETERS[name].schema;
  // Typed as the base schema: no stage reads an extension, they are only validated and forwarded.
  return base.extend(extras) as unknown as ChatRequestSchema;
}

export const embeddingsRequestSchema = z.strictObject(forwardedShape(EMBEDDING_PARAMETERS));

/** Parameters refused on purpose, with the reason the refusal gives. */
export const REFUSED_CHAT_PARAMETERS = refusedReasons(CHAT_PARAMETERS);
export const REFUSED_EMBEDDING_PARAMETERS = refusedReasons(EMBEDDING_PARAMETERS);

export type ChatRequest = z.output<ChatRequestSchema>;
export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;
