/** Small fetch helpers shared by the mock upstream's tests. */
import type { MockUpstream } from '../src/index.js';

export const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
export const MESSAGE = {
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'hi' }],
};
export const ANTHROPIC_HEADERS = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' };

export function post(
  mock: MockUpstream,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Reads a body to its end or until it breaks; a broken body is what the stream faults produce. */
export async function readUntilBreak(
  res: Response,
): Promise<{ text: string; reads: number; error: unknown }> {
  const body = reader(res);
  const decoder = new TextDecoder();
  let text = '';
  let reads = 0;
  try {
    for (;;) {
      const { done, value } = await body.read();
      if (done) return { text, reads, error: undefined };
      reads++;
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, reads, error };
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Node's fetch types leave the chunk type open; undici delivers Uint8Array. */
export function reader(res: Response): ReadableStreamDefaultReader<Uint8Array> {
  return res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
}

/** Resolves to 'pending' if the promise has not settled within `ms`. */
export function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([
    promise,
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);
}

export interface ChatChunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string };
    finish_reason: string | null;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

export interface OpenAiError {
  error: { message: string; type: string; param: null; code: string | null };
}

export interface AnthropicError {
  type: 'error';
  error: { type: string; message: string };
}
