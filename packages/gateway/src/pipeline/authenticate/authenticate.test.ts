import { startMockIssuer, type MockIssuer } from '@rampart/testkit';
import fc from 'fast-check';
import { generateKeyPair, exportJWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/index.js';
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

/** A frozen clock: tokens are minted against it and the stage reads it. */
const NOW = 1_800_000_000;

let issuer: MockIssuer;
let downIssuer: MockIssuer;
beforeAll(async () => {
  issuer = await startMockIssuer();
  downIssuer = await startMockIssuer({ issuer: 'https://down.example.com/' });
  downIssuer.down = true;
});
afterAll(async () => {
  await issuer.close();
  await downIssuer.close();
});

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

function issuerConfig(mock: MockIssuer, extra: Record<string, unknown> = {}) {
  return { issuer: mock.issuer, jwksUri: mock.jwksUri, audiences: [mock.audience], ...extra };
}

/** limits, authenticate, a spy (sees the principal), parse and proxy with a stub provider. */
function authApp(issuerExtra: Record<string, unknown> = {}, auth: Record<string, unknown> = {}) {
  const spy = spyStage();
  const provider = stubProvider();
  t = pipelineApp({
    provider,
    config: {
      auth: { issuers: [issuerConfig(issuer, issuerExtra), issuerConfig(downIssuer)], ...auth },
    },
    stages: (deps) => [
      limitsStage(deps),
      authenticateStage({ config: deps.config, now: () => NOW * 1000 }),
      spy,
      parseStage({ router: deps.router, maxMessages: 8 }),
      proxyStage(deps),
    ],
  });
  const principal = () => spy.calls.find((call) => call.phase === 'body')?.exchange.principal;
  return { spy, provider, app: t, principal };
}

function send(app: PipelineTestApp, authorization?: string) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: authorization === undefined ? {} : { authorization },
    payload: chatBody(),
  });
}

const token = (claims = {}, options = {}) => issuer.accessToken(claims, { now: NOW, ...options });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const payloadOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;

/** Why each case is refused (the problem's detail), where one code covers several causes. */
const WHY: Readonly<Record<string, string>> = {
  'alg none': 'algorithm is not accepted',
  'HS256 signed with the public key (key confusion)': 'algorithm is not accepted',
  'wrong aud': 'aud claim',
  'iat in the future beyond the skew': '(iat)',
  'not yet valid (nbf)': '(nbf)',
  'unknown kid': 'No key',
  'kid path or SQL injection': 'No key',
  'tampered payload with the original signature': 'signature is invalid',
  'stripped signature': 'signature is invalid',
  'signed by another key, named in an embedded jwk header': 'signature is invalid',
  'signed by another key, named by jku and x5u': 'signature is invalid',
  'a DPoP proof presented as an access token': '(typ)',
  'no sub': 'sub claim',
};

describe('authenticate stage: resource server', () => {
  it('with auth.mode none the stage has no phase and /v1 stays anonymous', async () => {
    expect(authenticateStage({ config: validateConfig({ auth: { mode: 'none' } }) })).toEqual({
      name: 'authenticate',
    });
    t = pipelineApp();
    expect((await send(t)).statusCode).toBe(200);
  });

  it('a valid token from a configured issuer sets the principal, roles and tenant mapped', async () => {
    const { app, principal, provider } = authApp({
      claims: { roles: 'https://rampart.test/roles', tenant: 'org.id' },
    });
    const jwt = await token({
      'https://rampart.test/roles': ['reader', 'admin', 42],
      org: { id: 'tenant-a' },
      acr: 'urn:mfa',
      amr: ['pwd', 'otp'],
    });
    const response = await send(app, `Bearer ${jwt}`);
    expect(response.statusCode).toBe(200);
    expect(provider.sent).toHaveLength(1);
    expect(principal()).toEqual({
      subject: 'user-1',
      issuer: issuer.issuer,
      tenant: 'tenant-a',
      roles: ['reader', 'admin'],
      acr: 'urn:mfa',
      amr: ['pwd', 'otp'],
      deviceJkt: undefined,
      tokenId: payloadOf(jwt)['jti'],
      sessionId: undefined,
      issuedAt: NOW,
      credential: 'access_token',
    });
    expect(app.logs()).not.toContain(jwt);
    expect(app.logs()).not.toContain(jwt.split('.')[2]);
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'accepts each pinned algorithm (%s)',
    async (alg) => {
      const { app, principal } = authApp();
      const response = await send(app, `bearer ${await token({ roles: 'a b' }, { alg })}`);
      expect(response.statusCode).toBe(200);
      expect(principal()?.roles).toEqual(['a', 'b']);
    },
  );

  it('a token without a kid, a jku/x5u/jwk header pointing elsewhere: ignored, the pinned JWKS decides', async () => {
    const { app } = authApp();
    const header = { jku: 'http://127.0.0.1:1/evil', x5u: 'http://127.0.0.1:1/x5u' };
    const jwt = await token({}, { header });
    expect((await send(app, `Bearer ${jwt}`)).statusCode).toBe(200);
  });

  it('refuses a token of an algorithm the issuer is not pinned to, though its key is in the JWKS', async () => {
    const { app } = authApp({ algorithms: ['ES256'] });
    const response = await send(app, `Bearer ${await token({}, { alg: 'RS256' })}`);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'auth.token_invalid' });
  });
});

describe('authenticate stage: attack suite (each refused with its own code and a challenge)', () => {
  const attacker = (async () => {
    const pair = await generateKeyPair('ES256');
    return { ...pair, jwk: await exportJWK(pair.publicKey) };
  })();
  const claims = () => ({
    iss: issuer.issuer,
    sub: 'admin',
    aud: issuer.audience,
    iat: NOW,
    exp: NOW + 300,
  });

  const cases: ReadonlyArray<readonly [string, () => Promise<string | undefined>, string]> = [
    ['missing token', () => Promise.resolve(undefined), 'auth.token_missing'],
    ['another scheme (Basic)', () => Promise.resolve('Basic dXNlcjpwYXNz'), 'auth.token_missing'],
    [
      'alg none',
      () => Promise.resolve(`Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`),
      'auth.token_invalid',
    ],
    [
      'HS256 signed with the public key (key confusion)',
      async () => {
        const secret = new TextEncoder().encode(JSON.stringify(issuer.publicJwk('RS256')));
        const jwt = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', kid: 'key-RS256' })
          .sign(secret);
        return `Bearer ${jwt}`;
      },
      'auth.token_invalid',
    ],
    [
      'wrong iss',
      async () => `Bearer ${await token({ iss: 'https://evil.example.com/' })}`,
      'auth.issuer_unknown',
    ],
    ['no iss', async () => `Bearer ${await token({ iss: undefined })}`, 'auth.issuer_unknown'],
    [
      'wrong aud',
      async () => `Bearer ${await token({ aud: 'https://other.example' })}`,
      'auth.token_invalid',
    ],
    [
      'expired',
      async () => `Bearer ${await token({}, { now: NOW - 3600, expiresIn: 300 })}`,
      'auth.token_expired',
    ],
    [
      'not yet valid (nbf)',
      async () => `Bearer ${await token({ nbf: NOW + 3600, exp: NOW + 7200 })}`,
      'auth.token_not_yet_valid',
    ],
    [
      'iat in the future beyond the skew',
      async () => `Bearer ${await token({ iat: NOW + 120 })}`,
      'auth.token_not_yet_valid',
    ],
    [
      'unknown kid',
      async () => `Bearer ${await token({}, { header: { kid: 'rotated-away' } })}`,
      'auth.token_invalid',
    ],
    [
      'kid path or SQL injection',
      async () => `Bearer ${await token({}, { header: { kid: "../../../dev/null' OR '1'='1" } })}`,
      'auth.token_invalid',
    ],
    [
      'tampered payload with the original signature',
      async () => {
        const [header, , signature] = (await token()).split('.');
        const forged = payloadOf(await token());
        return `Bearer ${header}.${b64({ ...forged, sub: 'admin', roles: ['admin'] })}.${signature}`;
      },
      'auth.token_invalid',
    ],
    [
      'stripped signature',
      async () => {
        const [header, payload] = (await token()).split('.');
        return `Bearer ${header}.${payload}.`;
      },
      'auth.token_invalid',
    ],
    [
      'signed by another key, named in an embedded jwk header',
      async () => {
        const { privateKey, jwk } = await attacker;
        const jwt = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'ES256', jwk, kid: 'key-ES256' })
          .sign(privateKey);
        return `Bearer ${jwt}`;
      },
      'auth.token_invalid',
    ],
    [
      'signed by another key, named by jku and x5u',
      async () => {
        const { privateKey } = await attacker;
        const jwt = await new SignJWT(claims())
          .setProtectedHeader({
            alg: 'ES256',
            jku: 'https://evil.example/jwks',
            x5u: 'https://evil.example/cert',
          })
          .sign(privateKey);
        return `Bearer ${jwt}`;
      },
      'auth.token_invalid',
    ],
    [
      'oversized token',
      async () => `Bearer ${await token({ padding: 'x'.repeat(9000) })}`,
      'auth.token_too_large',
    ],
    [
      'a valid token re-spelled in the unused low bits of its last character',
      async () => {
        // An ES256 signature is 64 bytes: 86 base64url characters whose last 4 bits are unused,
        // so flipping the lowest one decodes to the same bytes and would still verify.
        const jwt = await token();
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const last = alphabet.indexOf(jwt.slice(-1));
        return `Bearer ${jwt.slice(0, -1)}${alphabet[last ^ 1] ?? ''}`;
      },
      'auth.token_malformed',
    ],
    ['not a JWT', () => Promise.resolve('Bearer not-a-jwt'), 'auth.token_malformed'],
    [
      'a payload that is not JSON',
      () => Promise.resolve(`Bearer ${b64({ alg: 'ES256' })}.bm90IGpzb24.c2ln`),
      'auth.token_malformed',
    ],
    [
      'a DPoP proof presented as an access token',
      async () => `Bearer ${await token({}, { header: { typ: 'dpop+jwt' } })}`,
      'auth.token_invalid',
    ],
    ['no sub', async () => `Bearer ${await token({ sub: undefined })}`, 'auth.token_invalid'],
  ];

  it.each(cases)('%s → 401 with its code', async (_name, authorization, code) => {
    const { app, principal, provider } = authApp();
    const header = await authorization();
    const response = await send(app, header);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code, status: 401 });
    expect(response.json<{ detail: string }>().detail).toContain(WHY[_name] ?? '');
    expect(response.json()).not.toHaveProperty('wwwAuthenticate');
    const challenge = response.headers['www-authenticate'];
    if (code === 'auth.token_missing') {
      expect(challenge).toBe(
        'Bearer realm="rampart", DPoP realm="rampart", algs="ES256 EdDSA RS256 PS256"',
      );
    } else {
      expect(challenge).toMatch(
        /^Bearer realm="rampart", error="invalid_token", error_description="[^"\\]+"$/,
      );
    }
    expect(principal()).toBeUndefined();
    expect(provider.sent).toEqual([]);
    if (header !== undefined) expect(app.logs()).not.toContain(header.slice(7));
  });

  it('an issuer whose JWKS cannot be fetched: 503 auth.issuer_unavailable (fails closed)', async () => {
    const { app, provider } = authApp();
    const jwt = await downIssuer.accessToken({}, { now: NOW });
    const response = await send(app, `Bearer ${jwt}`);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'auth.issuer_unavailable' });
    expect(downIssuer.jwksRequests).toBeGreaterThan(0);
    expect(provider.sent).toEqual([]);
  });

  it('an unknown kid refetches the JWKS at most once per cooldown', async () => {
    const { app } = authApp();
    expect((await send(app, `Bearer ${await token()}`)).statusCode).toBe(200);
    const before = issuer.jwksRequests;
    for (let i = 0; i < 5; i++) {
      const jwt = await token({}, { header: { kid: `unknown-${i}` } });
      expect((await send(app, `Bearer ${jwt}`)).statusCode).toBe(401);
    }
    expect(issuer.jwksRequests - before).toBeLessThanOrEqual(1);
  });

  it('mutated tokens never produce a 500 or a principal', async () => {
    const { app, principal } = authApp();
    const valid = await token();
    const alphabet = 'ABCabc012-_.=+/ %"\\\u00e9\u0000';
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: fc.nat(valid.length),
            cut: fc.nat(4),
            insert: fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom('Bearer ', 'bearer ', 'DPoP ', 'Bearer  ', ''),
        async (edits, scheme) => {
          let mutated = valid;
          for (const { at, cut, insert } of edits) {
            mutated = mutated.slice(0, at) + insert + mutated.slice(at + cut);
          }
          const response = await app.app.inject({
            method: 'POST',
            url: '/v1/chat/completions',
            headers: { authorization: scheme + mutated },
            payload: chatBody(),
          });
          expect(response.statusCode).toBeLessThan(500);
          if (response.statusCode === 200) {
            // Only a mutation that leaves the same bytes (base64url's unused trailing bits).
            expect(sameBytes(mutated, valid)).toBe(true);
            expect(principal()?.subject).toBe('user-1');
          } else {
            expect(response.statusCode).toBe(401);
            expect(response.headers['www-authenticate']).toMatch(/^(Bearer|DPoP) realm="rampart"/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

function sameBytes(a: string, b: string): boolean {
  const as = a.split('.');
  const bs = b.split('.');
  return (
    as.length === 3 &&
    as.every((part, i) => /^[A-Za-z0-9_-]*$/.test(part) && part.length === bs[i]?.length) &&
    as.every((part, i) =>
      Buffer.from(part, 'base64url').equals(Buffer.from(bs[i] ?? '', 'base64url')),
    )
  );
}
