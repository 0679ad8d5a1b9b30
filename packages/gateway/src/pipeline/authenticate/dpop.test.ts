import {
  createDpopKey,
  dpopProof,
  startMockIssuer,
  type DpopKey,
  type MockIssuer,
  type ProofOptions,
} from '@rampart/testkit';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { limitsStage } from '../limits/index.js';
import { parseStage } from '../parse/index.js';
import {
  chatBody,
  pipelineApp,
  spyStage,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import { proxyStage } from '../proxy/index.js';
import { authenticateStage } from './index.js';
import { MemoryReplayCache } from './replay.js';

/** A frozen clock: tokens and proofs are minted against it and the stage reads it. */
const NOW = 1_800_000_000;
const PUBLIC_URL = 'https://ai.example.com';
const HTU = `${PUBLIC_URL}/v1/chat/completions`;

let issuer: MockIssuer;
let device: DpopKey;
beforeAll(async () => {
  issuer = await startMockIssuer();
  device = await createDpopKey();
});
afterAll(() => issuer.close());

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

function dpopApp(replay?: MemoryReplayCache) {
  const spy = spyStage();
  const provider = stubProvider();
  t = pipelineApp({
    provider,
    config: {
      server: { publicUrl: PUBLIC_URL },
      auth: {
        issuers: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: [issuer.audience] }],
      },
    },
    stages: (deps) => [
      limitsStage(deps),
      authenticateStage({
        config: deps.config,
        now: () => NOW * 1000,
        ...(replay === undefined ? {} : { replay }),
      }),
      spy,
      parseStage({ router: deps.router, maxMessages: 8 }),
      proxyStage(deps),
    ],
  });
  const principal = () => spy.calls.find((call) => call.phase === 'body')?.exchange.principal;
  return { app: t, provider, principal };
}

const boundToken = (key: DpopKey = device) =>
  issuer.accessToken({}, { now: NOW, dpop: key, alg: 'RS256' });

const proofFor = (token: string, options: Partial<ProofOptions> = {}, key: DpopKey = device) =>
  dpopProof(key, { htm: 'POST', htu: HTU, accessToken: token, iat: NOW, ...options });

function send(
  app: PipelineTestApp,
  headers: Record<string, string>,
  options: { method?: 'POST' | 'GET'; url?: string } = {},
) {
  return app.app.inject({
    method: options.method ?? 'POST',
    url: options.url ?? '/v1/chat/completions',
    headers,
    ...(options.method === 'GET' ? {} : { payload: chatBody() }),
  });
}

const DPOP_CHALLENGE =
  /^DPoP realm="rampart", algs="ES256 EdDSA RS256 PS256", error="(invalid_dpop_proof|invalid_token)", error_description="[^"\\]+"$/;

/** Why each case is refused (the problem's detail), where one code covers several causes. */
const WHY: Readonly<Record<string, string>> = {
  'no proof': 'Send a DPoP proof',
  'a proof for another URL': '(htu)',
  'a proof for another host': '(htu)',
  'a proof for another method': '(htm)',
  'a proof with a wrong ath': '(ath)',
  'a proof without ath': '(ath)',
  'a proof signed by another key than cnf.jkt': 'another key than the token is bound to',
  'a stale proof (iat older than maxAgeSeconds plus skew)': 'too old (iat)',
  'a proof from the future': 'in the future (iat)',
  'a proof without jti': 'jti',
  'a proof of the wrong typ': 'typ dpop+jwt',
  'a proof whose jwk is a private key': 'public key',
  'a proof signed HS256': 'public key',
  'a proof with alg none': 'algorithm is not accepted',
};

describe('authenticate stage: DPoP (RFC 9449)', () => {
  it('a bound token with a valid proof: the principal carries the device key thumbprint', async () => {
    const { app, principal, provider } = dpopApp();
    const token = await boundToken();
    const response = await send(app, {
      authorization: `DPoP ${token}`,
      dpop: await proofFor(token),
    });
    expect(response.statusCode).toBe(200);
    expect(provider.sent).toHaveLength(1);
    expect(principal()).toMatchObject({ subject: 'user-1', deviceJkt: device.jkt });
  });

  it('the query string is not part of htu, and GET /v1/models is proven with htm GET', async () => {
    const { app } = dpopApp();
    const token = await boundToken();
    const proof = await proofFor(token, { htm: 'GET', htu: `${PUBLIC_URL}/v1/models?x=1#f` });
    const response = await send(
      app,
      { authorization: `DPoP ${token}`, dpop: proof },
      { method: 'GET', url: '/v1/models?page=2' },
    );
    expect(response.statusCode).toBe(200);
  });

  it.each(['ES256', 'EdDSA', 'RS256'] as const)('accepts a %s device key', async (alg) => {
    const { app } = dpopApp();
    const key = await createDpopKey(alg);
    const token = await boundToken(key);
    const response = await send(app, {
      authorization: `DPoP ${token}`,
      dpop: await proofFor(token, {}, key),
    });
    expect(response.statusCode).toBe(200);
  });

  const other = createDpopKey();
  const cases: ReadonlyArray<
    readonly [string, (token: string) => Promise<Record<string, string>>, string]
  > = [
    [
      'a bound token sent with the Bearer scheme',
      async (token) => ({ authorization: `Bearer ${token}`, dpop: await proofFor(token) }),
      'auth.dpop_required',
    ],
    [
      'no proof',
      (token) => Promise.resolve({ authorization: `DPoP ${token}` }),
      'auth.dpop_invalid',
    ],
    [
      'a proof for another URL',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { htu: `${PUBLIC_URL}/v1/embeddings` }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof for another host',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { htu: 'https://evil.example.com/v1/chat/completions' }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof for another method',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { htm: 'GET' }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof with a wrong ath',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { accessToken: `${token}x` }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof without ath',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { claims: { ath: undefined } }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof signed by another key than cnf.jkt',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, {}, await other),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a stale proof (iat older than maxAgeSeconds plus skew)',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { iat: NOW - 120 }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof from the future',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { iat: NOW + 120 }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof without jti',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { claims: { jti: undefined } }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof of the wrong typ',
      async (token) => ({
        authorization: `DPoP ${token}`,
        dpop: await proofFor(token, { header: { typ: 'JWT' } }),
      }),
      'auth.dpop_invalid',
    ],
    [
      'a proof whose jwk is a private key',
      async (token) => {
        const pair = await generateKeyPair('ES256', { extractable: true });
        const jwk = await exportJWK(pair.privateKey);
        const proof = await new SignJWT({ htm: 'POST', htu: HTU, iat: NOW, jti: 'p1' })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
          .sign(pair.privateKey);
        return { authorization: `DPoP ${token}`, dpop: proof };
      },
      'auth.dpop_invalid',
    ],
    [
      'a proof signed HS256',
      async (token) => {
        const symmetric: JWK = { kty: 'oct', k: 'AAAA' };
        const proof = await new SignJWT({ htm: 'POST', htu: HTU, iat: NOW, jti: 'p2' })
          .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: symmetric })
          .sign(new Uint8Array(32));
        return { authorization: `DPoP ${token}`, dpop: proof };
      },
      'auth.dpop_invalid',
    ],
    [
      'a proof with alg none',
      (token) => {
        const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const header = b64({ alg: 'none', typ: 'dpop+jwt', jwk: device.publicJwk });
        const body = b64({ htm: 'POST', htu: HTU, iat: NOW, jti: 'p3' });
        return Promise.resolve({ authorization: `DPoP ${token}`, dpop: `${header}.${body}.` });
      },
      'auth.dpop_invalid',
    ],
  ];

  it.each(cases)('%s → 401 with its code and a DPoP challenge', async (_name, headers, code) => {
    const { app, principal, provider } = dpopApp();
    const response = await send(app, await headers(await boundToken()));
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code });
    expect(response.json<{ detail: string }>().detail).toContain(WHY[_name] ?? '');
    expect(response.headers['www-authenticate']).toMatch(DPOP_CHALLENGE);
    expect(principal()).toBeUndefined();
    expect(provider.sent).toEqual([]);
  });

  it('a replayed proof: the first use passes, the second is auth.dpop_replayed', async () => {
    const { app } = dpopApp();
    const token = await boundToken();
    const headers = { authorization: `DPoP ${token}`, dpop: await proofFor(token) };
    expect((await send(app, headers)).statusCode).toBe(200);
    const replay = await send(app, headers);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'auth.dpop_replayed' });
    expect(replay.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
  });

  it('the high-S twin of a used proof (same claims, malleated signature) is refused as a replay', async () => {
    const { app } = dpopApp();
    const token = await boundToken();
    const proof = await proofFor(token);
    const [header, payload, signature = ''] = proof.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
    const twinS = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
    const twin = `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), twinS]).toString('base64url')}`;
    expect((await send(app, { authorization: `DPoP ${token}`, dpop: proof })).statusCode).toBe(200);
    const replay = await send(app, { authorization: `DPoP ${token}`, dpop: twin });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'auth.dpop_replayed' });
  });

  it('a proof whose jwk is not of the curve its alg names is auth.dpop_invalid', async () => {
    const { app } = dpopApp();
    const token = await boundToken();
    const pair = await generateKeyPair('ES384', { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const proof = await new SignJWT({ htm: 'POST', htu: HTU, iat: NOW, jti: 'crv' })
      .setProtectedHeader({ alg: 'ES384', typ: 'dpop+jwt', jwk })
      .sign(pair.privateKey);
    const [, payload, signature] = proof.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk })).toString(
      'base64url',
    );
    const response = await send(app, {
      authorization: `DPoP ${token}`,
      dpop: `${header}.${payload}.${signature}`,
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'auth.dpop_invalid' });
    expect(response.json<{ detail: string }>().detail).toContain('does not fit its algorithm');
  });

  it('a token refusal under the DPoP scheme is challenged with the DPoP scheme', async () => {
    const { app } = dpopApp();
    const token = await issuer.accessToken({}, { now: NOW - 3600, dpop: device });
    const response = await send(app, {
      authorization: `DPoP ${token}`,
      dpop: await proofFor(token),
    });
    expect(response.json()).toMatchObject({ code: 'auth.token_expired' });
    expect(response.headers['www-authenticate']).toMatch(/^DPoP .*error="invalid_token"/);
  });

  it('an unbound token sent with the DPoP scheme is refused', async () => {
    const { app } = dpopApp();
    const token = await issuer.accessToken({}, { now: NOW });
    const response = await send(app, {
      authorization: `DPoP ${token}`,
      dpop: await proofFor(token),
    });
    expect(response.json()).toMatchObject({ code: 'auth.dpop_invalid' });
  });

  it('mutated proofs never produce a 500 or a principal', async () => {
    const { app, principal } = dpopApp();
    const token = await boundToken();
    const alphabet = 'ABCabc012-_.= "\\\u00e9';
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: fc.nat(600),
            cut: fc.integer({ min: 1, max: 4 }),
            insert: fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (edits) => {
          const proof = await proofFor(token, { jti: `fuzz-${run++}` });
          let mutated = proof;
          for (const { at, cut, insert } of edits) {
            const i = at % (mutated.length + 1);
            mutated = mutated.slice(0, i) + insert + mutated.slice(i + cut);
          }
          const before = principal();
          const response = await send(app, { authorization: `DPoP ${token}`, dpop: mutated });
          expect(response.statusCode).toBeLessThan(500);
          if (response.statusCode !== 200) {
            expect(response.statusCode).toBe(401);
            expect(principal()).toBe(before);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the in-memory replay cache', () => {
  it('remembers an id until it expires, and is bounded: full of live ids, it refuses', () => {
    const cache = new MemoryReplayCache(2);
    expect(cache.remember('a', 1000, 0)).toBe(true);
    expect(cache.remember('a', 1000, 10)).toBe(false);
    expect(cache.remember('b', 1010, 10)).toBe(true);
    expect(() => cache.remember('c', 1020, 20)).toThrow(/full/);
    // 'a' expired at 1000: swept, so 'c' fits and 'a' is new again.
    expect(cache.remember('c', 2000, 1000)).toBe(true);
    expect(cache.size).toBe(2);
  });

  it('a full cache refuses new proofs with 503 auth.replay_cache_full (fails closed)', async () => {
    const replay = new MemoryReplayCache(1);
    const { app } = dpopApp(replay);
    const token = await boundToken();
    expect(
      (await send(app, { authorization: `DPoP ${token}`, dpop: await proofFor(token) })).statusCode,
    ).toBe(200);
    const response = await send(app, {
      authorization: `DPoP ${token}`,
      dpop: await proofFor(token),
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'auth.replay_cache_full' });
  });
});
