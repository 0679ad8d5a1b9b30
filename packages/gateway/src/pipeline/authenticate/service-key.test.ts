import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceKeyRepository, type NewServiceKey } from '../../identity/service-keys/index.js';
import { openStore, type Store } from '../../store/index.js';
import { authorizeStage } from '../authorize/index.js';
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
import { createServiceKeyVerifier } from './service-key.js';

/** A frozen clock (ms): keys are created against it and the stage reads it. */
const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
let clock = T0;

let store: Store;
let keys: ServiceKeyRepository;
let t: PipelineTestApp | undefined;
beforeEach(async () => {
  clock = T0;
  store = await openStore({ url: undefined, dataDir: mkdtempSync(join(tmpdir(), 'rampart-sk-')) });
  keys = new ServiceKeyRepository(store.db);
});
afterEach(async () => {
  await t?.app.close();
  t = undefined;
  await store.close();
});

const ROLES = {
  batch: [{ endpoints: ['chat', 'embeddings', 'models'], aliases: ['*'], features: ['stream'] }],
  admin: [{ endpoints: ['chat'], aliases: ['*'], mfa: true }],
};

function app(auth: Record<string, unknown> = {}) {
  const spy = spyStage();
  const provider = stubProvider();
  t = pipelineApp({
    provider,
    config: {
      auth: { serviceKeys: { enabled: true }, ...auth },
      identity: { enabled: false },
      authz: { roles: ROLES },
    },
    stages: (deps) => [
      limitsStage(deps),
      authenticateStage({ config: deps.config, now: () => clock, serviceKeys: keys }),
      authorizeStage({ config: deps.config }),
      spy,
      parseStage({ router: deps.router, maxMessages: 8 }),
      proxyStage(deps),
    ],
  });
  const principal = () => spy.calls.find((call) => call.phase === 'body')?.exchange.principal;
  return { app: t, provider, principal };
}

function create(overrides: Partial<NewServiceKey> = {}) {
  return keys.create({
    name: 'batch job',
    tenant: 'tenant-a',
    roles: ['batch'],
    aliases: undefined,
    createdAt: clock,
    expiresAt: clock + 30 * DAY,
    createdBy: 'test',
    ...overrides,
  });
}

function send(a: PipelineTestApp, headers: Record<string, string>, body = chatBody()) {
  return a.app.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload: body });
}

/** The problem without its request id, to compare two refusals whole. */
async function refusal(a: PipelineTestApp, headers: Record<string, string>) {
  const response = await send(a, headers);
  const problem = response.json<Record<string, unknown>>();
  delete problem['requestId'];
  return { status: response.statusCode, challenge: response.headers['www-authenticate'], problem };
}

describe('service keys at /v1', () => {
  it('authenticate a server as service:<id>, with the tenant and roles of the key', async () => {
    const { app: a, principal } = app();
    const { key, serviceKey } = await create({ aliases: ['chat'] });
    const response = await send(a, { authorization: `Bearer ${key}` });
    expect(response.statusCode).toBe(200);
    expect(principal()).toEqual({
      subject: `service:${serviceKey.id}`,
      issuer: 'rampart:service-key',
      tenant: 'tenant-a',
      roles: ['batch'],
      acr: undefined,
      amr: [],
      deviceJkt: undefined,
      tokenId: serviceKey.id,
      credential: 'service_key',
      aliases: ['chat'],
    });
    expect(a.logs()).not.toContain(key.slice(20));
    expect((await keys.find(serviceKey.id))?.lastUsedAt).toBe(T0);
  });

  it('refuse a wrong secret under a real id exactly as an unknown id', async () => {
    const { app: a } = app();
    const { key } = await create();
    const wrongSecret = `${key.slice(0, 20)}${'A'.repeat(43)}`;
    const unknownId = `rk_${'B'.repeat(16)}${key.slice(19)}`;
    const first = await refusal(a, { authorization: `Bearer ${wrongSecret}` });
    expect(first).toMatchObject({ status: 401, problem: { code: 'auth.service_key_invalid' } });
    expect(first.challenge).toMatch(/^Bearer realm="rampart", error="invalid_token"/);
    expect(await refusal(a, { authorization: `Bearer ${unknownId}` })).toEqual(first);
  });

  it('refuse a key spliced from two tenants: the id of one with the secret of the other', async () => {
    const { app: a, principal } = app();
    const mine = await create({ tenant: 'tenant-a' });
    const theirs = await create({ tenant: 'tenant-b' });
    const spliced = `${mine.key.slice(0, 20)}${theirs.key.slice(20)}`;
    expect(await refusal(a, { authorization: `Bearer ${spliced}` })).toMatchObject({
      status: 401,
      problem: { code: 'auth.service_key_invalid' },
    });
    // Each key speaks for its own tenant only, whatever the request says.
    const response = await send(
      a,
      { authorization: `Bearer ${theirs.key}`, 'x-tenant': 'tenant-a' },
      chatBody({ user: 'tenant-a' }),
    );
    expect(response.statusCode).toBe(200);
    expect(principal()?.tenant).toBe('tenant-b');
  });

  it('stop working on the next request after a revocation', async () => {
    const { app: a } = app();
    const { key, serviceKey } = await create();
    expect((await send(a, { authorization: `Bearer ${key}` })).statusCode).toBe(200);
    expect(await keys.revoke(serviceKey.id, clock)).toBe('revoked');
    expect(await refusal(a, { authorization: `Bearer ${key}` })).toMatchObject({
      status: 401,
      problem: { code: 'auth.service_key_revoked' },
    });
  });

  it('expire at expires_at (frozen clock)', async () => {
    const { app: a } = app();
    const { key } = await create({ expiresAt: T0 + DAY });
    clock = T0 + DAY - 1;
    expect((await send(a, { authorization: `Bearer ${key}` })).statusCode).toBe(200);
    clock = T0 + DAY;
    expect(await refusal(a, { authorization: `Bearer ${key}` })).toMatchObject({
      status: 401,
      problem: { code: 'auth.service_key_expired' },
    });
  });

  it('are refused under the DPoP scheme or with a DPoP header', async () => {
    const { app: a } = app();
    const { key } = await create();
    for (const headers of [
      { authorization: `DPoP ${key}`, dpop: 'x.y.z' },
      { authorization: `Bearer ${key}`, dpop: 'x.y.z' },
      { authorization: `DPoP ${key}` },
    ]) {
      expect(await refusal(a, headers)).toMatchObject({
        status: 401,
        problem: { code: 'auth.service_key_invalid' },
      });
    }
  });

  it("are held to the key's aliases within what its roles grant", async () => {
    const { app: a } = app();
    const { key } = await create({ aliases: ['embed'] });
    const response = await send(a, { authorization: `Bearer ${key}` });
    expect(response.json()).toMatchObject({ code: 'authz.alias_forbidden' });
    const models = await a.app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(models.json<{ data: Array<{ id: string }> }>().data.map((m) => m.id)).toEqual(['embed']);
  });

  it('never satisfy MFA, and get no step-up challenge they could not answer', async () => {
    const { app: a } = app();
    const { key } = await create({ roles: ['admin'] });
    const answer = await refusal(a, { authorization: `Bearer ${key}` });
    expect(answer).toMatchObject({ status: 403, problem: { code: 'authz.mfa_required' } });
    expect(answer.challenge).toBeUndefined();
  });

  it('are refused, not crashed on, when service keys are off', async () => {
    const { key } = await create();
    t = pipelineApp({
      config: {
        auth: {
          issuers: [
            {
              issuer: 'https://issuer.test/',
              jwksUri: 'https://issuer.test/jwks',
              audiences: ['a'],
            },
          ],
        },
      },
    });
    expect(await refusal(t, { authorization: `Bearer ${key}` })).toMatchObject({
      status: 401,
      problem: { code: 'auth.service_key_invalid' },
    });
  });

  it('fail closed with 503 when the store cannot answer', async () => {
    const { app: a } = app();
    const { key } = await create();
    await store.close();
    expect(await refusal(a, { authorization: `Bearer ${key}` })).toMatchObject({
      status: 503,
      problem: { code: 'store.unavailable' },
    });
  });

  it('answer any rk_ token with 401, never a 5xx (property)', async () => {
    const { app: a } = app();
    const { key } = await create();
    const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{0,80}$/);
    const mutated = fc
      .tuple(fc.nat(key.length - 1), fc.constantFrom(...'A_-z0'.split('')))
      .map(([at, ch]) => `${key.slice(0, at)}${ch}${key.slice(at + 1)}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          b64url.map((s) => `rk_${s}`),
          mutated,
          fc.string({ maxLength: 80 }).map((s) => `rk_${s}`),
        ),
        async (token) => {
          const response = await send(a, { authorization: `Bearer ${token}` });
          if (token === key) expect(response.statusCode).toBe(200);
          else expect([400, 401]).toContain(response.statusCode);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the service key cache', () => {
  it('is bounded by its TTL and emptied for a key by forget (the revocation broadcast hook)', async () => {
    const { key, serviceKey } = await create();
    const verifier = createServiceKeyVerifier({
      lookup: keys,
      now: () => clock,
      cacheTtlMs: 5_000,
    });
    await verifier.verify(key, { dpop: false });
    await keys.revoke(serviceKey.id, clock);
    // Within the TTL the cached row still answers; forget() ends that at once.
    await expect(verifier.verify(key, { dpop: false })).resolves.toMatchObject({
      credential: 'service_key',
    });
    verifier.forget(serviceKey.id);
    await expect(verifier.verify(key, { dpop: false })).rejects.toMatchObject({
      code: 'auth.service_key_revoked',
    });
    const other = await create();
    const again = createServiceKeyVerifier({ lookup: keys, now: () => clock, cacheTtlMs: 5_000 });
    await again.verify(other.key, { dpop: false });
    await keys.revoke(other.serviceKey.id, clock);
    clock += 5_000;
    await expect(again.verify(other.key, { dpop: false })).rejects.toMatchObject({
      code: 'auth.service_key_revoked',
    });
  });
});
