import { describe, expect, it } from 'vitest';
import {
  MAX_PER_SUBJECT,
  MemoryChallengeStore,
  ownerDigest,
  type ChallengeOwner,
} from './challenges.js';

const alice: ChallengeOwner = { issuer: 'https://idp', tenant: '', subject: 'alice', jkt: 'key-1' };
const alicesOtherKey: ChallengeOwner = { ...alice, jkt: 'key-2' };
const mallory: ChallengeOwner = { ...alice, subject: 'mallory' };

describe('MemoryChallengeStore', () => {
  it('a challenge is spent once, by the device key that asked', async () => {
    const store = new MemoryChallengeStore({ now: () => 0 });
    const challenge = await store.issue(alice, 1000);
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.consume(challenge, alice)).toBe('ok');
    expect(await store.consume(challenge, alice)).toBe('unknown');
  });

  it('another key of the subject gets not_owner under device binding, and burns it', async () => {
    const store = new MemoryChallengeStore({ now: () => 0 });
    const challenge = await store.issue(alice, 1000);
    expect(await store.consume(challenge, alicesOtherKey)).toBe('not_owner');
    expect(await store.consume(challenge, alice)).toBe('unknown');
  });

  it('subject binding accepts any key of the subject and no other subject', async () => {
    const store = new MemoryChallengeStore({ now: () => 0 });
    const first = await store.issue(alice, 1000);
    expect(await store.consume(first, alicesOtherKey, 'subject')).toBe('ok');
    const second = await store.issue(alice, 1000);
    expect(await store.consume(second, mallory, 'subject')).toBe('not_owner');
    const third = await store.issue(alice, 1000);
    expect(await store.consume(third, { ...alicesOtherKey, tenant: 't2' }, 'subject')).toBe(
      'not_owner',
    );
  });

  it('an expired challenge is unknown', async () => {
    let now = 0;
    const store = new MemoryChallengeStore({ now: () => now });
    const challenge = await store.issue(alice, 1000);
    now = 1000;
    expect(await store.consume(challenge, alice)).toBe('unknown');
  });

  it('holds at most maxEntries challenges, dropping the oldest', async () => {
    const store = new MemoryChallengeStore({ maxEntries: 3, now: () => 0 });
    const oldest = await store.issue(alice, 1000);
    for (let i = 0; i < 5; i++) await store.issue(alice, 1000);
    expect(store.size).toBe(3);
    expect(await store.consume(oldest, alice)).toBe('unknown');
  });

  it('a subject flooding the store loses its own oldest challenges, never another subject’s', async () => {
    const store = new MemoryChallengeStore({ now: () => 0, maxEntries: 100 });
    const victims = await Promise.all([1, 2, 3].map(() => store.issue(alice, 1000)));
    const flood: string[] = [];
    for (let i = 0; i < 1000; i++) flood.push(await store.issue(mallory, 1000));
    expect(store.size).toBe(3 + MAX_PER_SUBJECT);
    for (const challenge of victims) expect(await store.consume(challenge, alice)).toBe('ok');
    expect(await store.consume(flood[0] ?? '', mallory)).toBe('unknown');
    expect(await store.consume(flood.at(-1) ?? '', mallory)).toBe('ok');
  });

  it('a malformed challenge is unknown without a lookup', async () => {
    const store = new MemoryChallengeStore();
    expect(await store.consume('', alice)).toBe('unknown');
    expect(await store.consume('x'.repeat(10_000), alice)).toBe('unknown');
  });

  it('the owner digest separates fields (no concatenation ambiguity)', () => {
    const a = ownerDigest({ issuer: 'a', tenant: 'b', subject: 'c', jkt: 'd' });
    const b = ownerDigest({ issuer: 'a', tenant: 'bc', subject: '', jkt: 'd' });
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBe(64);
  });
});
