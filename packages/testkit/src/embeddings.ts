/**
 * OpenAI embeddings. Vectors are a pure function of the input text (FNV-1a seeds a small PRNG)
 * and unit length like OpenAI's, so tests can compare them across runs and processes, and
 * similarity code gets well-formed input. Values are float32, the precision OpenAI serves.
 */

export const DEFAULT_DIMENSIONS = 8;
export const MAX_DIMENSIONS = 4096;
/** OpenAI's own limit on inputs per request. */
export const MAX_INPUTS = 2048;

export function embed(text: string, dimensions: number): Float32Array {
  let seed = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    seed = Math.imul(seed ^ text.charCodeAt(i), 0x01000193);
  }
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // mulberry32: tiny, fast, and good enough to spread values over [-1, 1).
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const value = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
    vector[i] = value;
    norm += value * value;
  }
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i] = vector[i]! * scale;
  return vector;
}

/**
 * What `input` may be, as OpenAI accepts it: a string, strings, a token array or token arrays.
 * Returns the texts to embed (token arrays stand for themselves), or an error message.
 */
export function embeddingInputs(input: unknown): string[] | string {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) {
    return "'input' must be a string or a non-empty array of strings or tokens";
  }
  if (input.length > MAX_INPUTS) return `'input' must have at most ${MAX_INPUTS} elements`;
  if (input.every((item) => typeof item === 'number')) return [input.join(',')];
  const texts: string[] = [];
  for (const item of input as unknown[]) {
    if (typeof item === 'string') texts.push(item);
    else if (Array.isArray(item) && item.every((token) => typeof token === 'number')) {
      texts.push(item.join(','));
    } else return "'input' must be a string or a non-empty array of strings or tokens";
  }
  return texts;
}

export function embeddingsBody(
  texts: readonly string[],
  dimensions: number,
  base64: boolean,
  model: string,
  promptTokens: number,
): string {
  const data = texts.map((text, index) => {
    const vector = embed(text, dimensions);
    return {
      object: 'embedding',
      index,
      // The official Node SDK asks for base64 by default: little-endian float32, base64-encoded.
      embedding: base64
        ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
        : Array.from(vector),
    };
  });
  return JSON.stringify({
    object: 'list',
    data,
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
