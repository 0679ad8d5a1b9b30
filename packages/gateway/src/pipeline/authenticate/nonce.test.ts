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
import { createNonceIssuer } from './nonce.js';

/** A frozen clock, in seconds; the nonce period is 300 s. */
const NOW = 1_800_000_000;
const PERIOD = 300;
const PUBLIC_URL = 'https://ai.example.com';
const HTU = `${PUBLIC_URL}/v1/chat/completions`;
const key = createSecretKey(randomBytes(32));
const otherKey = createSecretKey(randomBytes(32));

describe('stateless DPoP nonces', () => {
  const issuer = createNonceIssuer({ keys: () => [key], rotationSeconds: PERIOD });

  it('the current nonce is accepted as current, the previous period as previous, older not', () => {
    const at = NOW * 1000;
    expect(issuer.check(issuer.current(at), at)).toBe('current');
    expect(issuer.check(issuer.current(at - PERIOD * 1000), at)).toBe('previous');
    expect(issuer.check(issuer.current(at - 2 * PERIOD * 1000), at)).toBe('invalid');
    // A nonce of the future (a clock ahead) is no nonce of ours either.
    expect(issuer.check(issuer.current(at + PERIOD * 1000), at)).toBe('invalid');
  });

  it('two replicas holding the same cookie-secret agree without sharing state', () => {
    const replica = createNonceIssuer({ keys: () => [key], rotationSeconds: PERIOD });
    const at = NOW * 1000;
    expect(replica.current(at)).toBe(issuer.current(at));
    expect(replica.check(issuer.current(at), at)).toBe('current');
  });

  it('a nonce made with another key is refused; after a rotation the old key still verifies', () => {
    const at = NOW * 1000;
    const foreign = createNonceIssuer({ keys: () => [otherKey], rotationSeconds: PERIOD });
    expect(issuer.check(foreign.current(at), at)).toBe('invalid');
    const rotated = createNonceIssuer({ keys: () => [otherKey, key], rotationSeconds: PERIOD });
    expect(rotated.check(issuer.current(at), at)).toBe('current');
    expect(rotated.current(at)).toBe(foreign.current(at));
  });

  it('no string an attacker sends is accepted unless it is the nonce (property)', () => {
    const at = NOW * 1000;
    const valid = new Set([issuer.current(at), issuer.current(at - PERIOD * 1000)]);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.anything()), (value) => {
        const standing = issuer.check(value, at);
        expect(standing === 'invalid').toBe(!(typeof value === 'string' && valid.has(value)));
      }),
    );
  });

  it('nonces are NQCHAR (RFC 9449 section 8.1): base64url, 22 characters', () => {
    expect(issuer.current(NOW * 1000)).toMatch(/^[A-Za-z0-9_-]{22}$/);
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
        dpop: { nonce: { required: true, rotationSeconds: PERIOD } },
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
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(first.json())).not.toContain(String(nonce));

    const retry = await send(app, String(nonce));
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['dpop-nonce']).toBeUndefined();
  });

  it('a forged nonce is refused the same way', async () => {
    const app = nonceApp({ now: NOW * 1000 });
    const response = await send(app, 'AAAAAAAAAAAAAAAAAAAAAA');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'auth.dpop_nonce_required' });
    expect(response.headers['dpop-nonce']).toBeDefined();
  });

  it('after a rotation the previous nonce is still accepted and the answer brings the current one', async () => {
    const clock = { now: NOW * 1000 };
    const app = nonceApp(clock);
    const nonce = String((await send(app, undefined)).headers['dpop-nonce']);
    clock.now += PERIOD * 1000;
    const later = NOW + PERIOD;
    const response = await send(app, nonce, later);
    expect(response.statusCode).toBe(200);
    const fresh = response.headers['dpop-nonce'];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(nonce);

    clock.now += PERIOD * 1000;
    const stale = await send(app, nonce, NOW + 2 * PERIOD);
    expect(stale.statusCode).toBe(401);
    expect(stale.json()).toMatchObject({ code: 'auth.dpop_nonce_required' });
  });
});
