/**
 * OpenAI chat completions, byte for byte in the shape the official API returns (field order
 * included), so real SDKs and the gateway's adapter parse them. Everything that does not depend
 * on the request is rendered once per options change: a response is a per-request head (id,
 * created, model) glued to a prepared tail.
 */
import type { ResolvedOptions } from './options.js';
import type { StreamPlan } from './respond.js';
import { splitText } from './split.js';
import type { ToolCall } from './tools.js';

export interface OpenAiTemplates {
  /** Everything after `"model":…,` in a `chat.completion`, closing brace included. */
  readonly completionTail: string;
  /** Chunk tails in stream order: role, content deltas, finish. */
  readonly chunkTails: readonly string[];
  /** The same with `"usage":null`, which every chunk carries when usage was asked for. */
  readonly chunkTailsWithUsage: readonly string[];
  readonly usageChunkTail: string;
}

/** An object's JSON without its opening brace: what follows a head that ends in a comma. */
const tail = (members: Record<string, unknown>): string => JSON.stringify(members).slice(1);

function usageOf(options: ResolvedOptions) {
  const { promptTokens, completionTokens } = options.usage;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export function renderOpenAi(options: ResolvedOptions): OpenAiTemplates {
  const usage = usageOf(options);
  const completionTail = tail({
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: options.reply, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
    service_tier: 'default',
    system_fingerprint: null,
  });
  const choices: unknown[] = [
    [
      {
        index: 0,
        delta: { role: 'assistant', content: '', refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ],
    ...splitText(options.reply, options.streamChunks).map((content) => [
      { index: 0, delta: { content }, logprobs: null, finish_reason: null },
    ]),
    [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
  ];
  const chunk = (members: Record<string, unknown>): string => `${tail(members)}\n\n`;
  return {
    completionTail,
    chunkTails: choices.map((c) => chunk({ system_fingerprint: null, choices: c })),
    chunkTailsWithUsage: choices.map((c) =>
      chunk({ system_fingerprint: null, choices: c, usage: null }),
    ),
    usageChunkTail: chunk({ system_fingerprint: null, choices: [], usage }),
  };
}

export function completionBody(
  t: OpenAiTemplates,
  id: string,
  created: number,
  model: string,
): string {
  return `{"id":"chatcmpl-${id}","object":"chat.completion","created":${created},"model":${JSON.stringify(model)},${t.completionTail}`;
}

const DONE = 'data: [DONE]\n\n';

/** A `chat.completion` whose message is a call of `call.name`: built per request, tools vary. */
export function toolCompletionBody(
  options: ResolvedOptions,
  id: string,
  created: number,
  model: string,
  call: ToolCall,
): string {
  return JSON.stringify({
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: `call_${id}`,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            },
          ],
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: usageOf(options),
    service_tier: 'default',
    system_fingerprint: null,
  });
}

/** The same as a stream: the call opens in the first chunk, its arguments arrive in pieces. */
export function toolCompletionStream(
  options: ResolvedOptions,
  id: string,
  created: number,
  model: string,
  call: ToolCall,
  includeUsage: boolean,
): StreamPlan {
  const chunk = (choices: unknown[], usage?: unknown): string =>
    `data: ${JSON.stringify({
      id: `chatcmpl-${id}`,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: null,
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
    })}\n\n`;
  const delta = (d: unknown, finish: string | null = null) => [
    { index: 0, delta: d, logprobs: null, finish_reason: finish },
  ];
  const events = [
    chunk(
      delta({
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            index: 0,
            id: `call_${id}`,
            type: 'function',
            function: { name: call.name, arguments: '' },
          },
        ],
        refusal: null,
      }),
    ),
    ...splitText(call.arguments, options.streamChunks).map((piece) =>
      chunk(delta({ tool_calls: [{ index: 0, function: { arguments: piece } }] })),
    ),
    chunk(delta({}, 'tool_calls')),
  ];
  const firstTail = events.length - 1;
  if (includeUsage) events.push(chunk([], usageOf(options)));
  events.push(DONE);
  return {
    events,
    firstContent: 1,
    firstTail,
    garbage: `data: {"id":"chatcmpl-${id}","choices":[{"delta":{"tool_calls": this is not JSON\n\n`,
    terminator: DONE,
  };
}

export function completionStream(
  t: OpenAiTemplates,
  id: string,
  created: number,
  model: string,
  includeUsage: boolean,
): StreamPlan {
  const head = `data: {"id":"chatcmpl-${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
  const tails = includeUsage ? t.chunkTailsWithUsage : t.chunkTails;
  const events: string[] = [];
  for (const chunkTail of tails) events.push(head + chunkTail);
  if (includeUsage) events.push(head + t.usageChunkTail);
  events.push(DONE);
  return {
    events,
    firstContent: 1,
    firstTail: tails.length - 1,
    garbage: `data: {"id":"chatcmpl-${id}","choices":[{"delta":{"content": this is not JSON\n\n`,
    terminator: DONE,
  };
}

/** `GET /v1/models`: the mock's own model ids (any model name is accepted on the other routes). */
export const MODELS_BODY = JSON.stringify({
  object: 'list',
  data: ['mock-chat', 'mock-embeddings'].map((id) => ({
    id,
    object: 'model',
    created: 1_700_000_000,
    owned_by: 'rampart',
  })),
});
