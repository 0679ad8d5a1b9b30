/**
 * Compile-time only (`npm run typecheck`, through tsconfig.check.json; never built, never run):
 * the gateway's parameter tables name exactly the parameters of the installed `openai`
 * package's request types. When an upgrade of `openai` brings a parameter, the error below
 * names it ("Property 'x' is missing"): decide on it in pipeline/parse/parameters.ts, forward
 * with a validator or refuse with a reason, and the Anthropic adapter's table will then ask for
 * its own decision. A parameter OpenAI dropped shows up the same way, as one to remove.
 * `openai` is a dev dependency: nothing the gateway builds or ships may import it.
 */
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { CHAT_PARAMETERS, EMBEDDING_PARAMETERS } from '../../src/pipeline/parse/parameters.js';

/** Keys of the OpenAI type that the table does not decide on. */
type Undecided<Api, Table> = Exclude<keyof Api, keyof Table>;
/** Keys of the table that the OpenAI type no longer has. */
type NotInOpenAI<Api, Table> = Exclude<keyof Table, keyof Api>;

export const chatUndecided: Record<
  Undecided<ChatCompletionCreateParamsBase, typeof CHAT_PARAMETERS>,
  never
> = {};
export const chatNotInOpenAI: Record<
  NotInOpenAI<ChatCompletionCreateParamsBase, typeof CHAT_PARAMETERS>,
  never
> = {};
export const embeddingsUndecided: Record<
  Undecided<EmbeddingCreateParams, typeof EMBEDDING_PARAMETERS>,
  never
> = {};
export const embeddingsNotInOpenAI: Record<
  NotInOpenAI<EmbeddingCreateParams, typeof EMBEDDING_PARAMETERS>,
  never
> = {};
