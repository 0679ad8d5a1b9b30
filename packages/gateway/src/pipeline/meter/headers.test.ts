import { describe, expect, it } from 'vitest';
import { openAiDuration, rateLimitHeaders, tightest, type LimitState } from './headers.js';

const window = (name: string, remaining: number, resetSeconds: number): LimitState => ({
  kind: 'window',
  name,
  quota: 10,
  windowSeconds: 60,
  remaining,
  resetSeconds,
});

describe('rate-limit headers', () => {
  it('write the IETF fields as structured-field items and the OpenAI names for a window', () => {
    expect(rateLimitHeaders(window('per-user', 4, 17))).toEqual({
      'ratelimit-policy': '"per-user";q=10;w=60',
      ratelimit: '"per-user";r=4;t=17',
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-reset-requests': '17s',
    });
  });

  it('give a concurrency limit its quota unit and no window or OpenAI request headers', () => {
    expect(rateLimitHeaders({ kind: 'streams', name: 's', quota: 3, remaining: 1 })).toEqual({
      'ratelimit-policy': '"s";q=3;qu="concurrent-requests"',
      ratelimit: '"s";r=1',
    });
  });

  it('pick the window with the fewest requests left, then the longest wait', () => {
    const states = [window('a', 5, 10), window('b', 2, 5), window('c', 2, 50)];
    expect(tightest(states)?.name).toBe('c');
    const streams: LimitState = { kind: 'streams', name: 's', quota: 1, remaining: 0 };
    expect(tightest([streams, window('a', 9, 1)])?.name).toBe('a');
    expect(tightest([streams])?.name).toBe('s');
    expect(tightest([])).toBeUndefined();
  });

  it('write resets as OpenAI does', () => {
    expect(openAiDuration(0)).toBe('0s');
    expect(openAiDuration(45)).toBe('45s');
    expect(openAiDuration(360)).toBe('6m0s');
    expect(openAiDuration(3723)).toBe('1h2m3s');
  });
});
