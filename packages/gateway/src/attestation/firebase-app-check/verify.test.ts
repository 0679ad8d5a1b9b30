import { startMockAppCheck, type AppCheckTokenOptions, type MockAppCheck } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryReplayCache, type ReplayCache } from '../../pipeline/authenticate/replay.js';
import { JWKS_COOLDOWN_MS } from '../../pipeline/authenticate/verify.js';
import { createAppCheckVerifier, type AppCheckVerifierOptions } from './index.js';

/** A fixed clock: 2027-01-15T08:00:00Z, in seconds. */
const NOW_S = 1_800_000_000;

let firebase: MockAppCheck;
beforeAll(async () => {
  firebase = await startMockAppCheck();
});
afterAll(() => firebase.close());

function verifier(overrides: Partial<AppCheckVerifierOptions> = {}, nowS = NOW_S) {
  return createAppCheckVerifier({
    projectNumber: firebase.projectNumber,
    appIds: [firebase.appId],
    jwksUri: firebase.jwksUri,
    now: () => nowS * 1000,
    ...overrides,
  });
}

const mint = (claims: Record<string, unknown> = {}, options: AppCheckTokenOptions = {}) =>
  firebase.token(claims, { now: NOW_S, ...options });

async function reasonOf(
  token: string,
  overrides: Partial<AppCheckVerifierOptions> = {},
  nowS = NOW_S,
) {
  const result = await verifier(overrides, nowS).verify(token);
  return result.outcome === 'valid' ? 'valid' : `${result.outcome}:${result.reason}`;
}

describe('App Check: genuine tokens', () => {
  it('accepts a token Firebase would issue and reports the app and times', async () => {
    const result = await verifier().verify(await mint());
    expect(result).toEqual({
      outcome: 'valid',
      value: {
        appId: firebase.appId,
        issuedAtMs: NOW_S * 1000,
        expiresAtMs: (NOW_S + 3600) * 1000,
        consumed: false,
      },
    });
  });

  it('fetches the key set once and serves later tokens from the cache', async () => {
    const v = verifier();
    const before = firebase.jwksRequests;
    for (let i = 0; i < 3; i++) expect((await v.verify(await mint())).outcome).toBe('valid');
    expect(firebase.jwksRequests - before).toBe(1);
  });

  it('an unknown kid is refused without refetching the key set within the cooldown (key_unknown)', async () => {
    const v = verifier();
    const before = firebase.jwksRequests;
    expect((await v.verify(await mint())).outcome).toBe('valid');
    for (let i = 0; i < 5; i++) {
      const token = await mint({}, { header: { kid: `rotated-${i}` } });
      const result = await v.verify(token);
      expect(result.outcome === 'invalid' && result.reason).toBe('key_unknown');
    }
    expect(firebase.jwksRequests - before).toBe(1);
  });

  it('after Firebase rotates its key, the unknown kid refetches the key set once the cooldown has passed', async () => {
    const rotating = await startMockAppCheck();
    // jose times its cooldown with Date.now(); only Date is faked, sockets and timers are real.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const v = createAppCheckVerifier({
        projectNumber: rotating.projectNumber,
        appIds: [rotating.appId],
        jwksUri: rotating.jwksUri,
        now: () => NOW_S * 1000,
      });
      expect((await v.verify(await rotating.token({}, { now: NOW_S }))).outcome).toBe('valid');
      await rotating.rotate();
      const signedWithNewKey = await rotating.token({}, { now: NOW_S });
      const early = await v.verify(signedWithNewKey);
      expect(early.outcome === 'invalid' && early.reason).toBe('key_unknown');
      expect(rotating.jwksRequests).toBe(1);
      vi.setSystemTime(Date.now() + JWKS_COOLDOWN_MS + 1);
      expect((await v.verify(signedWithNewKey)).outcome).toBe('valid');
      expect(rotating.jwksRequests).toBe(2);
    } finally {
      vi.useRealTimers();
      await rotating.close();
    }
  });

  it('accepts a token that expired within the clock skew, and none later (expired)', async () => {
    const token = await mint({}, { expiresIn: 60 });
    expect(await reasonOf(token, {}, NOW_S + 60 + 29)).toBe('valid');
    expect(await reasonOf(token, {}, NOW_S + 60 + 30)).toBe('invalid:expired');
  });
});

describe('App Check: forged or foreign tokens', () => {
  it('refuses an oversized token before parsing it (too_large)', async () => {
    expect(await reasonOf(`${'a'.repeat(5_000)}.a.a`)).toBe('invalid:too_large');
  });

  it.each(['', 'abc', 'a.b', 'a.b.c.d', 'a b.c.d', 'e30.e30.'])(
    'refuses %j, which is not a signed JWT (token_malformed)',
    async (token) => {
      expect(await reasonOf(token)).toBe('invalid:token_malformed');
    },
  );

  it.each(['PS256', 'RS384', 'ES256', 'HS256'] as const)(
    'refuses a token signed %s, not RS256 (algorithm_not_allowed)',
    async (alg) => {
      expect(await reasonOf(await mint({}, { alg }))).toBe('invalid:algorithm_not_allowed');
    },
  );

  it('refuses an unsigned token (alg none)', async () => {
    const genuine = (await mint()).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: firebase.kid }));
    const token = `${header.toString('base64url')}.${genuine[1] ?? ''}.`;
    expect(await reasonOf(token)).toBe('invalid:algorithm_not_allowed');
  });

  it('refuses a token whose header typ is not JWT, or absent (typ_mismatch)', async () => {
    expect(await reasonOf(await mint({}, { header: { typ: 'at+jwt' } }))).toBe(
      'invalid:typ_mismatch',
    );
    expect(await reasonOf(await mint({}, { header: { typ: undefined } }))).toBe(
      'invalid:typ_mismatch',
    );
  });

  it('refuses a token signed by a key not in Firebase’s set under its kid (signature_invalid)', async () => {
    expect(await reasonOf(await mint({}, { unservedKey: true }))).toBe('invalid:signature_invalid');
  });

  it('refuses a token issued for another project (issuer_mismatch)', async () => {
    const iss = 'https://firebaseappcheck.googleapis.com/999999999999';
    expect(await reasonOf(await mint({ iss }))).toBe('invalid:issuer_mismatch');
  });

  it('refuses a token meant for another project (audience_mismatch)', async () => {
    const aud = ['projects/999999999999', 'projects/someone-else'];
    expect(await reasonOf(await mint({ aud }))).toBe('invalid:audience_mismatch');
  });

  it('refuses a token issued beyond the clock skew in the future (from_future)', async () => {
    expect(await reasonOf(await mint({}, { now: NOW_S + 30 }))).toBe('valid');
    expect(await reasonOf(await mint({}, { now: NOW_S + 31 }))).toBe('invalid:from_future');
  });

  it('refuses a token without a subject or issue time (claims_invalid)', async () => {
    expect(await reasonOf(await mint({ sub: undefined }))).toBe('invalid:claims_invalid');
    expect(await reasonOf(await mint({ iat: undefined }))).toBe('invalid:claims_invalid');
  });

  it('refuses a token of an app of the project that is not on the list (app_not_allowed)', async () => {
    const sub = `1:${firebase.projectNumber}:ios:ffffffffffffffff`;
    expect(await reasonOf(await mint({ sub }))).toBe('invalid:app_not_allowed');
  });
});

describe('App Check: key set outages', () => {
  it('is indeterminate, not invalid, while the key set cannot be fetched (jwks_unavailable)', async () => {
    firebase.down = true;
    try {
      expect(await reasonOf(await mint())).toBe('indeterminate:jwks_unavailable');
    } finally {
      firebase.down = false;
    }
  });

  it('is indeterminate when nothing listens at the key set address', async () => {
    const gone = await startMockAppCheck();
    const jwksUri = gone.jwksUri;
    await gone.close();
    expect(await reasonOf(await mint(), { jwksUri })).toBe('indeterminate:jwks_unavailable');
  });
});

describe('App Check: replay protection (limited-use tokens)', () => {
  it('accepts a token once and refuses it after (replayed)', async () => {
    const v = verifier({ replay: new MemoryReplayCache(100) });
    const token = await mint();
    const first = await v.verify(token);
    expect(first.outcome === 'valid' && first.value.consumed).toBe(true);
    const second = await v.verify(token);
    expect(second.outcome === 'invalid' && second.reason).toBe('replayed');
    expect((await v.verify(await mint())).outcome).toBe('valid');
  });

  it('without replay protection the same token is accepted again', async () => {
    const v = verifier();
    const token = await mint();
    expect((await v.verify(token)).outcome).toBe('valid');
    expect((await v.verify(token)).outcome).toBe('valid');
  });

  it('refuses a token without jti when replay protection is on (jti_missing)', async () => {
    const replay = new MemoryReplayCache(100);
    expect(await reasonOf(await mint({ jti: undefined }), { replay })).toBe('invalid:jti_missing');
  });

  it('does not consume a token that fails another check', async () => {
    const replay = new MemoryReplayCache(100);
    const foreign = await mint({ sub: 'not-our-app' });
    expect(await reasonOf(foreign, { replay })).toBe('invalid:app_not_allowed');
    expect(replay.size).toBe(0);
  });

  it('remembers the id until the token expires plus the skew', async () => {
    const remembered: number[] = [];
    const replay: ReplayCache = {
      remember: (_id, expiresAtMs) => {
        remembered.push(expiresAtMs);
        return true;
      },
    };
    await verifier({ replay }).verify(await mint({}, { expiresIn: 300 }));
    expect(remembered).toEqual([(NOW_S + 300 + 30) * 1000]);
  });

  it('is indeterminate when the replay cache cannot answer (replay_store_unavailable)', async () => {
    const full = new MemoryReplayCache(1);
    const v = verifier({ replay: full });
    expect((await v.verify(await mint())).outcome).toBe('valid');
    const result = await v.verify(await mint());
    expect(result.outcome === 'indeterminate' && result.reason).toBe('replay_store_unavailable');
    const broken: ReplayCache = { remember: () => Promise.reject(new Error('down')) };
    expect(await reasonOf(await mint(), { replay: broken })).toBe(
      'indeterminate:replay_store_unavailable',
    );
  });
});

describe('App Check: configuration', () => {
  it('fails closed when its own clock fails: indeterminate, never valid (internal_error)', async () => {
    const broken = verifier({
      now: () => {
        throw new Error('clock unavailable');
      },
    });
    const result = await broken.verify(await mint());
    expect(result.outcome === 'indeterminate' && result.reason).toBe('internal_error');
  });

  it('refuses at construction a project number that is not numeric, no app ids or a wide skew', () => {
    expect(() => verifier({ projectNumber: 'my-project' })).toThrow(/projectNumber/);
    expect(() => verifier({ appIds: [] })).toThrow(/appIds/);
    expect(() => verifier({ clockSkewSeconds: 3600 })).toThrow(/clockSkewSeconds/);
  });
});
