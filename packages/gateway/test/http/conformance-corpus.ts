import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';

/**
 * The requests the conformance suite sends, by family. Add a case here when a fault class is
 * found: each case runs straight to the mock and through Rampart, JSON and streamed, through
 * every provider type.
 */
export interface ChatCase {
  readonly name: string;
  readonly params: Omit<ChatCompletionCreateParamsBase, 'model'>;
  /** Cases that only make sense one way (`stream_options` needs `stream: true`). */
  readonly only?: 'chat' | 'stream';
  /**
   * The Anthropic provider refuses it (docs/parameters.md says why) with
   * `request.unsupported_by_provider`, rather than dropping it.
   */
  readonly anthropic?: 'refused';
}

const user = (content: string) => ({ role: 'user' as const, content });
const PNG_1X1 =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  },
};

export const CHAT_CASES: readonly ChatCase[] = [
  { name: 'one user message', params: { messages: [user('Hello')] } },
  {
    name: 'system, multi-turn history',
    params: {
      messages: [
        { role: 'system', content: 'You are terse.' },
        user('Hi'),
        { role: 'assistant', content: 'Hello.' },
        user('Again'),
      ],
    },
  },
  {
    name: 'sampling and length parameters',
    params: {
      messages: [user('Hello')],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 64,
      stop: ['\n\n'],
    },
  },
  {
    name: 'content parts: text and an image data URL',
    params: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: PNG_1X1 } },
          ],
        },
      ],
    },
  },
  {
    name: 'a tool offered: the model calls it',
    params: { messages: [user('Weather in Paris?')], tools: [weather] },
  },
  {
    name: 'a tool result: the model answers in text',
    params: {
      messages: [
        user('Weather in Paris?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      tools: [weather],
    },
  },
  {
    name: 'tool_choice none: text, no call',
    params: { messages: [user('Weather in Paris?')], tools: [weather], tool_choice: 'none' },
  },
  {
    name: 'a documented parameter the strict allowlist once refused (prompt_cache_key)',
    params: { messages: [user('Hello')], prompt_cache_key: 'user-123-session' },
    anthropic: 'refused',
  },
  {
    name: 'an image data URL with the jpg alias',
    params: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And this?' },
            { type: 'image_url', image_url: { url: PNG_1X1.replace('image/png', 'image/jpg') } },
          ],
        },
      ],
    },
  },
  {
    name: 'a system prompt in two parts, the first marked for caching',
    params: {
      messages: [
        {
          role: 'system',
          content: [
            {
              type: 'text',
              text: 'Long, stable instructions.',
              cache_control: { type: 'ephemeral' },
            },
            { type: 'text', text: 'Today is Sunday.' },
          ],
        } as never,
        user('Hello'),
      ],
    },
  },
  {
    name: 'a tool without parameters: empty arguments parse as {}',
    params: {
      messages: [user('What time is it?')],
      tools: [
        {
          type: 'function',
          function: { name: 'now', parameters: { type: 'object', properties: {} } },
        },
      ],
    },
  },
  {
    name: 'stream usage asked for',
    params: { messages: [user('Hello')], stream_options: { include_usage: true } },
    only: 'stream',
  },
];

export interface EmbeddingCase {
  readonly name: string;
  readonly params: Omit<EmbeddingCreateParams, 'model'>;
}

export const EMBEDDING_CASES: readonly EmbeddingCase[] = [
  { name: 'one string, the SDK default (base64)', params: { input: 'hello' } },
  {
    name: 'several strings as floats',
    params: { input: ['a', 'b', 'c'], encoding_format: 'float' },
  },
  { name: 'dimensions', params: { input: 'hello', dimensions: 4, encoding_format: 'float' } },
];

/**
 * Upstream refusals caused by the request: the app must see the provider's own error type,
 * code and param, as it would calling the provider directly, and must not be retried.
 */
export interface ErrorCase {
  readonly name: string;
  readonly status: number;
  readonly openai: { type: string; code: string | null; param: string | null };
  /** The same refusal in Anthropic's dialect, where it has one. */
  readonly anthropicType?: string;
}

export const ERROR_CASES: readonly ErrorCase[] = [
  {
    name: 'context too long',
    status: 400,
    openai: { type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' },
  },
  {
    name: 'an invalid image',
    status: 400,
    openai: { type: 'invalid_request_error', code: 'invalid_image_format', param: null },
  },
  {
    name: 'a content-policy refusal',
    status: 400,
    openai: { type: 'invalid_request_error', code: 'content_policy_violation', param: null },
  },
  {
    name: 'a plain invalid request',
    status: 400,
    openai: { type: 'invalid_request_error', code: null, param: null },
    anthropicType: 'invalid_request_error',
  },
];
