import { createSecretKey, randomBytes } from 'node:crypto';
import {
  createDpopKey,
  dpopProof,
  startMockIssuer,
  type DpopKey,
  type MockIssuer,
} from '@rampart/testkit';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { limitsStage } from '../limits/index.js';
import { parseStage } from '../parse/index.js';
import {
  chatBody,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import { proxyStage } from '../proxy/index.js';
import { authenticateStage } from './index.js';
import { createNonceIssuer, providerNonceSecret } from './nonce.js';

/** A frozen clock, in seconds; nonces step every 60 s. */
const NOW = 1_800_000_000;
const STEP = 60;
const PUBLIC_URL = 'https://ai.example.com';
const HTU = `${PUBLIC_URL}/v1/chat/completions`;
const key = createSecretKey(randomBytes(32));
const otherKey = createSecretKey(randomBytes(32));

/** oidc-provider's own nonce class, which its token endpoint uses (no types are published). */
type ServerChallenge = { nextChallenge(): string; checkChallenge(nonce: string): boolean };
async function providerChallenge(secret: Buffer): Promise<ServerChallenge> {
  const path = 'oidc-provider/lib/helpers/challenge.js';
  const module = (await import(path)) as {
    default: new (secret: Buffer, info: string) => ServerChallenge;
  };
  return new module.default(secret, 'DPoP');
}

describe('stateless DPoP nonces', () => {
  const issuer = createNonceIssuer({ keys: () => [key] });
  const at = NOW * 1000;
  const minutes = (n: number) => at + n * STEP * 1000;

  it('a nonce handed out up to three minutes ago (or a minute ahead) is accepted, older ones not', () => {
    expect(issuer.check(issuer.current(at), at)).toBe('current');
    for (const earlier of [-1, -2, -3]) {
      expect(issuer.check(issuer.current(minutes(earlier)), at)).toBe('previous');
    }
    expect(issuer.check(issuer.current(minutes(-4)), at)).toBe('invalid');
    expect(issuer.check(issuer.current(minutes(1)), at)).toBe('previous');
    expect(issuer.check(issuer.current(minutes(2)), at)).toBe('invalid');
  });

  it('is the token endpoint’s scheme: oidc-provider accepts our nonce and we accept its', async () => {
    const provider = await providerChallenge(providerNonceSecret(key));
    const live = createNonceIssuer({ keys: () => [key] });
    const now = Date.now();
    expect(provider.checkChallenge(live.current(now))).toBe(true);
    expect(live.check(provider.nextChallenge(), now)).not.toBe('invalid');
    const foreign = await providerChallenge(providerNonceSecret(otherKey));
    expect(live.check(foreign.nextChallenge(), now)).toBe('invalid');
  });

  it('two replicas holding the same cookie-secret agree without sharing state', () => {
    const replica = createNonceIssuer({ keys: () => [key] });
    expect(replica.current(at)).toBe(issuer.current(at));
    expect(replica.check(issuer.current(at), at)).toBe('current');
  });

  it('a nonce made with another key is refused; after a rotation the old key still verifies', () => {
    const foreign = createNonceIssuer({ keys: () => [otherKey] });
    expect(issuer.check(foreign.current(at), at)).toBe('invalid');
    const rotated = createNonceIssuer({ keys: () => [otherKey, key] });
    expect(rotated.check(issuer.current(at), at)).toBe('previous');
    expect(rotated.current(at)).toBe(foreign.current(at));
  });

  it('no string an attacker sends is accepted unless it is one of the window’s nonces (property)', () => {
    const valid = new Set([-3, -2, -1, 0, 1].map((n) => issuer.current(minutes(n))));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.anything()), (value) => {
        const standing = issuer.check(value, at);
        expect(standing === 'invalid').toBe(!(typeof value === 'string' && valid.has(value)));
      }),
    );
  });

  it('nonces are NQCHAR (RFC 9449 section 8.1): base64url, 43 characters', () => {
    expect(issuer.current(at)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

let mock: MockIssuer;
let device: DpopKey;
beforeAll(async () => {
  mock = await startMockIssuer();
  device = await createDpopKey();
});
afterAll(() => mock.close());

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

/** The stage with nonces required and a clock the test moves. */
function nonceApp(clock: { now: number }) {
  t = pipelineApp({
    provider: stubProvider(),
    config: {
      server: { publicUrl: PUBLIC_URL },
      auth: {
        issuers: [{ issuer: mock.issuer, jwksUri: mock.jwksUri, audiences: [mock.audience] }],
        dpop: { nonce: { required: true } },
      },
    },
    stages: (deps) => [
      limitsStage(deps),
      authenticateStage({ config: deps.config, now: () => clock.now, nonceKeys: () => [key] }),
      parseStage({ router: deps.router, maxMessages: 8 }),
      proxyStage(deps),
    ],
  });
  return t;
}

async function send(app: PipelineTestApp, nonce: string | undefined, iat = NOW) {
  const token = await mock.accessToken({}, { now: iat, dpop: device });
  const proof = await dpopProof(device, {
    htm: 'POST',
    htu: HTU,
    accessToken: token,
    iat,
    claims: { nonce },
  });
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `DPoP ${token}`, dpop: proof },
    payload: chatBody(),
  });
}

describe('authenticate stage: DPoP server nonces required (RFC 9449 section 9)', () => {
  it('a proof without a nonce is refused with use_dpop_nonce and the nonce to retry with', async () => {
    const app = nonceApp({ now: NOW * 1000 });
    const first = await send(app, undefined);
    expect(first.statusCode).toBe(401);
    expect(first.json()).toMatchObject({ code: 'auth.dpop_nonce_required' });
    expect(first.headers['www-authenticate']).toMatch(
      /^DPoP realm="rampart", algs="[^"]+", error="use_dpop_nonce", error_description="[^"]+"$/,
    );
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(first.json())).not.toContain(String(nonce));

    const retry = await send(app, String(nonce));
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['dpop-nonce']).toBeUndefined();
  });

  it('a forged nonce is refused the same way', async () => {
    const app = nonceApp({ now: NOW * 1000 });
    const response = await send(app, 'A'.repeat(43));
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'auth.dpop_nonce_required' });
    expect(response.headers['dpop-nonce']).toBeDefined();
  });

  it('a nonce from two minutes ago is still accepted and the answer brings the current one; after four it is refused', async () => {
    const clock = { now: NOW * 1000 };
    const app = nonceApp(clock);
    const nonce = String((await send(app, undefined)).headers['dpop-nonce']);
    clock.now += 2 * STEP * 1000;
    const later = NOW + 2 * STEP;
    const response = await send(app, nonce, later);
    expect(response.statusCode).toBe(200);
    const fresh = response.headers['dpop-nonce'];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(nonce);

    clock.now += 2 * STEP * 1000;
    const stale = await send(app, nonce, NOW + 4 * STEP);
    expect(stale.statusCode).toBe(401);
    expect(stale.json()).toMatchObject({ code: 'auth.dpop_nonce_required' });
  });
});
