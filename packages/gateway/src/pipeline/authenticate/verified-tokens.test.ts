import { startMockIssuer, type MockIssuer } from '@rampart/testkit';
import { isRampartError } from '@rampart/core';
import type { FlattenedJWSInput, JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/index.js';
import { VerifiedTokens, type KeptToken } from './verified-tokens.js';
import { createTokenVerifier, type TokenVerifier } from './verify.js';

/** A frozen clock: tokens are minted against it and every check is given it. */
const NOW = 1_800_000_000;

let issuer: MockIssuer;
let verifier: TokenVerifier;
beforeAll(async () => {
  issuer = await startMockIssuer();
  const config = validateConfig({
    auth: {
      issuers: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: [issuer.audience] }],
    },
  });
  verifier = createTokenVerifier(config.auth.issuers);
});
afterAll(() => issuer.close());

/** The catalogue code of a refusal, or 'accepted'. */
async function outcome(token: string, nowMs: number): Promise<string> {
  try {
    await verifier.verify(token, nowMs);
    return 'accepted';
  } catch (error) {
    if (isRampartError(error)) return error.code;
    throw error;
  }
}

describe('a token verified before is checked against the clock again', () => {
  it('refuses a kept token once it has expired (exp, with the skew), as a first check would', async () => {
    const token = await issuer.accessToken({}, { now: NOW, expiresIn: 300 });
    expect(await outcome(token, NOW * 1000)).toBe('accepted');
    expect(await outcome(token, NOW * 1000)).toBe('accepted');
    // Default skew 30 s: still accepted just before exp + 30, refused at it.
    expect(await outcome(token, (NOW + 329) * 1000)).toBe('accepted');
    expect(await outcome(token, (NOW + 330) * 1000)).toBe('auth.token_expired');
    expect(await outcome(token, NOW * 1000)).toBe('accepted');
  });

  it('refuses a kept token when the clock is back before its nbf', async () => {
    const token = await issuer.accessToken({}, { now: NOW });
    expect(await outcome(token, NOW * 1000)).toBe('accepted');
    expect(await outcome(token, (NOW - 31) * 1000)).toBe('auth.token_not_yet_valid');
    expect(await outcome(token, (NOW - 30) * 1000)).toBe('accepted');
  });

  it('a kept token still gives the principal of its claims', async () => {
    const token = await issuer.accessToken({ roles: ['admin'] }, { now: NOW });
    const first = await verifier.verify(token, NOW * 1000);
    const again = await verifier.verify(token, NOW * 1000);
    expect(again).toEqual(first);
    expect(again.principal.roles).toEqual(['admin']);
  });

  it('a token differing by one character is never taken for a kept one', async () => {
    const token = await issuer.accessToken({}, { now: NOW });
    expect(await outcome(token, NOW * 1000)).toBe('accepted');
    // A signature character (not the last one, whose low bits are padding).
    const at = token.length - 10;
    const other = token[at] === 'A' ? 'B' : 'A';
    const mutated = `${token.slice(0, at)}${other}${token.slice(at + 1)}`;
    expect(await outcome(mutated, NOW * 1000)).toBe('auth.token_invalid');
  });
});

describe('VerifiedTokens', () => {
  const input: FlattenedJWSInput = { payload: 'p', signature: 's', protected: 'h' };
  const entry = (getKey: JWTVerifyGetKey, key: Uint8Array): KeptToken => ({
    getKey,
    key,
    header: { alg: 'ES256' },
    input,
    payload: { sub: 'user-1' },
    typ: 'at+jwt',
  });

  it('keeps a verification only while the key set hands out the very same key', async () => {
    let current = new Uint8Array([1]);
    const getKey: JWTVerifyGetKey = () => Promise.resolve(current);
    const kept = new VerifiedTokens();
    kept.set('t', entry(getKey, current));
    expect(await kept.get('t', getKey)).toBeDefined();
    // The set was refetched or the key rotated: a new key object, even an equal one.
    current = new Uint8Array([1]);
    expect(await kept.get('t', getKey)).toBeUndefined();
    expect(kept.size).toBe(0);
  });

  it('forgets a verification whose key can no longer be had, and one of another key set', async () => {
    const key = new Uint8Array([1]);
    let fail = false;
    const getKey: JWTVerifyGetKey = () =>
      fail ? Promise.reject(new Error('JWKS unavailable')) : Promise.resolve(key);
    const kept = new VerifiedTokens();
    kept.set('t', entry(getKey, key));
    expect(await kept.get('t', () => Promise.resolve(key))).toBeUndefined();
    fail = true;
    expect(await kept.get('t', getKey)).toBeUndefined();
    expect(kept.size).toBe(0);
  });

  it('holds at most its bound, forgetting the oldest', async () => {
    const key = new Uint8Array([1]);
    const getKey: JWTVerifyGetKey = () => Promise.resolve(key);
    const kept = new VerifiedTokens(2);
    kept.set('a', entry(getKey, key));
    kept.set('b', entry(getKey, key));
    kept.set('c', entry(getKey, key));
    expect(kept.size).toBe(2);
    expect(await kept.get('a', getKey)).toBeUndefined();
    expect(await kept.get('c', getKey)).toBeDefined();
  });
});
