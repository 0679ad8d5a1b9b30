import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embed, startMockUpstream, type MockUpstream } from '../src/index.js';
import { json, post, type OpenAiError } from './helpers.js';

interface EmbeddingList<E = number[]> {
  object: string;
  data: Array<{ object: string; index: number; embedding: E }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

async function embeddings<E = number[]>(body: Record<string, unknown>): Promise<EmbeddingList<E>> {
  const res = await post(mock, '/v1/embeddings', { model: 'text-embedding-3-small', ...body });
  expect(res.status).toBe(200);
  return json<EmbeddingList<E>>(res);
}

describe('POST /v1/embeddings', () => {
  it('answers one 8-dimensional vector for a string input', async () => {
    const body = await embeddings({ input: 'hello' });
    expect(body).toMatchObject({
      object: 'list',
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 9, total_tokens: 9 },
    });
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(body.data[0]?.embedding).toHaveLength(8);
  });

  it('answers one vector per input, in order, for an array', async () => {
    const body = await embeddings({ input: ['a', 'b', 'c'] });
    expect(body.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(body.data[0]?.embedding).not.toEqual(body.data[1]?.embedding);
  });

  it('derives each vector from its text alone, across servers', async () => {
    const other = await startMockUpstream();
    try {
      const here = await embeddings({ input: ['same', 'text'] });
      const res = await post(other, '/v1/embeddings', { model: 'm', input: 'same' });
      const there = await json<EmbeddingList>(res);
      expect(there.data[0]?.embedding).toEqual(here.data[0]?.embedding);
      expect(here.data[0]?.embedding).toEqual(Array.from(embed('same', 8)));
    } finally {
      await other.close();
    }
  });

  it('returns unit vectors of the requested dimensions', async () => {
    const body = await embeddings({ input: 'x', dimensions: 256 });
    const vector = body.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(256);
    const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
    expect(norm).toBeCloseTo(1, 5);
  });

  it('encodes little-endian float32 as base64 when asked, as the official SDK requests', async () => {
    const floats = await embeddings({ input: 'sdk' });
    const encoded = await embeddings<string>({ input: 'sdk', encoding_format: 'base64' });
    const bytes = Buffer.from(encoded.data[0]?.embedding ?? '', 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toEqual(floats.data[0]?.embedding);
  });

  it('accepts token arrays', async () => {
    const body = await embeddings({ input: [[1, 2, 3], [4]] });
    expect(body.data).toHaveLength(2);
  });

  it.each([
    ['an empty array', { input: [] }],
    ['a number', { input: 3 }],
    ['mixed items', { input: ['a', 1] }],
    ['zero dimensions', { input: 'a', dimensions: 0 }],
    ['fractional dimensions', { input: 'a', dimensions: 1.5 }],
    ['an unknown encoding', { input: 'a', encoding_format: 'hex' }],
    ['no model', { model: undefined, input: 'a' }],
  ])('refuses %s with an OpenAI 400', async (_name, body) => {
    const res = await post(mock, '/v1/embeddings', { model: 'm', ...body });
    expect(res.status).toBe(400);
    expect((await json<OpenAiError>(res)).error.type).toBe('invalid_request_error');
  });
});
