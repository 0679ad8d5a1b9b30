import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { gatewayError } from '../errors.js';

/**
 * Attestation challenges (issue #19 item 5): random, single use, short-lived, and bound to the
 * caller that asked — its issuer, tenant, subject and device key (DPoP `jkt`) — so that a
 * challenge obtained by one device cannot be spent by another. A challenge is 32 random bytes
 * in base64url (43 characters). Consuming one deletes it whatever the outcome, so a guess or a
 * replay costs the attacker the challenge.
 */
export interface ChallengeOwner {
  readonly issuer: string;
  readonly tenant: string;
  readonly subject: string;
  readonly jkt: string;
}

export type ChallengeCheck = 'ok' | 'unknown' | 'not_owner';

/**
 * Who may spend a challenge: `device`, the subject and device key that asked (the default);
 * `subject`, that subject from any of its device keys. Android key attestation needs the
 * latter: the key it attests is generated with the challenge, so it cannot be the key that
 * asked for it; that platform then requires the attested key to be the caller's DPoP key.
 */
export type ChallengeBinding = 'device' | 'subject';

export interface ChallengeStore {
  /** Issues a challenge that expires after `ttlMs`. Throws 503 `attest.unavailable` when it cannot be stored. */
  issue(owner: ChallengeOwner, ttlMs: number): Promise<string>;
  /**
   * Spends a challenge: `ok` only for a live one issued to `owner`. `unknown` for anything else
   * that is not this owner's (expired, used, never issued, malformed), `not_owner` when another
   * caller holds it (it is spent all the same). `binding` says which part of the owner must
   * match (default `device`).
   */
  consume(
    challenge: string,
    owner: ChallengeOwner,
    binding?: ChallengeBinding,
  ): Promise<ChallengeCheck>;
}

/** Live challenges one subject may hold in the memory store (an app needs one at a time). */
export const MAX_PER_SUBJECT = 16;

export const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * What is stored for the owner, compared in constant time: the SHA-256 of its subject
 * (issuer, tenant, subject) followed by the SHA-256 of the subject and device key (64 bytes).
 */
export function ownerDigest(owner: ChallengeOwner): Buffer {
  const digest = (parts: readonly string[]) =>
    createHash('sha256').update(JSON.stringify(parts)).digest();
  return Buffer.concat([
    digest([owner.issuer, owner.tenant, owner.subject]),
    digest([owner.issuer, owner.tenant, owner.subject, owner.jkt]),
  ]);
}

function newChallenge(): string {
  return randomBytes(32).toString('base64url');
}

function sameOwner(stored: Buffer, owner: ChallengeOwner, binding: ChallengeBinding): boolean {
  const expected = ownerDigest(owner);
  if (stored.length !== expected.length) return false;
  return binding === 'subject'
    ? timingSafeEqual(stored.subarray(0, 32), expected.subarray(0, 32))
    : timingSafeEqual(stored, expected);
}

/**
 * In one process (no `redis.url`). Bounded: when `maxEntries` live challenges exist, expired
 * ones are swept and, if it is still full, the oldest is dropped (its app asks again), so a
 * flood of challenge requests costs memory up to the bound and nothing else.
 */
export class MemoryChallengeStore implements ChallengeStore {
  readonly #entries = new Map<string, { owner: Buffer; expiresAt: number }>();
  /** Each subject's live challenges, oldest first: one caller cannot crowd out the others. */
  readonly #bySubject = new Map<string, string[]>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { readonly maxEntries?: number; readonly now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  issue(owner: ChallengeOwner, ttlMs: number): Promise<string> {
    const now = this.#now();
    const subject = JSON.stringify([owner.issuer, owner.tenant, owner.subject]);
    const own = (this.#bySubject.get(subject) ?? []).filter((c) => this.#entries.has(c));
    // A subject asking for more than MAX_PER_SUBJECT loses its own oldest, nobody else's.
    while (own.length >= MAX_PER_SUBJECT) {
      const oldest = own.shift();
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    if (this.#entries.size >= this.#maxEntries) this.#sweep(now);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const challenge = newChallenge();
    this.#entries.set(challenge, { owner: ownerDigest(owner), expiresAt: now + ttlMs });
    own.push(challenge);
    this.#bySubject.set(subject, own);
    return Promise.resolve(challenge);
  }

  consume(
    challenge: string,
    owner: ChallengeOwner,
    binding: ChallengeBinding = 'device',
  ): Promise<ChallengeCheck> {
    if (!CHALLENGE_PATTERN.test(challenge)) return Promise.resolve('unknown');
    const entry = this.#entries.get(challenge);
    this.#entries.delete(challenge);
    if (entry === undefined || entry.expiresAt <= this.#now()) return Promise.resolve('unknown');
    return Promise.resolve(sameOwner(entry.owner, owner, binding) ? 'ok' : 'not_owner');
  }

  /** Live challenges (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #sweep(now: number): void {
    for (const [challenge, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(challenge);
    }
    for (const [subject, own] of this.#bySubject) {
      const live = own.filter((c) => this.#entries.has(c));
      if (live.length === 0) this.#bySubject.delete(subject);
      else this.#bySubject.set(subject, live);
    }
  }
}

/**
 * Shared by every replica (`redis.url`): `SET … PX ttl NX` to issue, `GETDEL` to spend, both
 * atomic, so of two replicas presented the same challenge exactly one gets it. Redis down →
 * 503 `attest.unavailable` (fail closed).
 */
export class RedisChallengeStore implements ChallengeStore {
  readonly #client: Pick<Redis, 'set' | 'getdelBuffer'>;

  constructor(client: Pick<Redis, 'set' | 'getdelBuffer'>) {
    this.#client = client;
  }

  async issue(owner: ChallengeOwner, ttlMs: number): Promise<string> {
    const challenge = newChallenge();
    try {
      await this.#client.set(keyOf(challenge), ownerDigest(owner), 'PX', ttlMs, 'NX');
    } catch (error) {
      throw unavailable(error);
    }
    return challenge;
  }

  async consume(
    challenge: string,
    owner: ChallengeOwner,
    binding: ChallengeBinding = 'device',
  ): Promise<ChallengeCheck> {
    if (!CHALLENGE_PATTERN.test(challenge)) return 'unknown';
    let stored: Buffer | null;
    try {
      stored = await this.#client.getdelBuffer(keyOf(challenge));
    } catch (error) {
      throw unavailable(error);
    }
    if (stored === null) return 'unknown';
    return sameOwner(stored, owner, binding) ? 'ok' : 'not_owner';
  }
}

function keyOf(challenge: string): string {
  return `attest:challenge:${challenge}`;
}

function unavailable(cause: unknown) {
  return gatewayError(
    'attest.unavailable',
    'The challenge store cannot be reached; retry shortly.',
    { cause },
  );
}
