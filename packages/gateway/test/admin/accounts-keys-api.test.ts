import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { startMockIssuer, type MockIssuer } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseServiceKey } from '../../src/identity/service-keys/index.js';
import { SessionRepository } from '../../src/identity/sessions/index.js';
import { tempDir } from '../helpers/tmp.js';
import {
  adminClaims,
  startTestGateway,
  userClaims,
  type TestGateway,
} from '../identity/gateway.js';

const PASSWORD = 'correct horse battery staple';

let issuer: MockIssuer;
beforeAll(async () => {
  issuer = await startMockIssuer();
});
afterAll(() => issuer.close());

const gateways: TestGateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
});

/** A gateway trusting the mock issuer, with the accounts routes on (identity.enabled). */
async function gateway() {
  const started = await startTestGateway({
    store: { url: undefined, dataDir: tempDir('rampart-admin-accounts-') },
    issuer,
    config: {
      identity: {
        enabled: true,
        clients: [{ clientId: 'rampart-cli', redirectUris: ['http://127.0.0.1/callback'] }],
      },
      models: {},
      authz: {
        roles: {
          user: [{ endpoints: ['models'], aliases: ['*'] }],
          member: [{ endpoints: ['models'], aliases: ['*'] }],
        },
      },
    },
  });
  gateways.push(started);
  return started;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A request with a fresh bearer token of the mock issuer. */
async function send(
  g: TestGateway,
  method: Method,
  url: string,
  claims: Record<string, unknown>,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const token = await issuer.accessToken(claims);
  return g.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined
      ? {}
      : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

const asAdmin = (
  g: TestGateway,
  method: Method,
  url: string,
  body?: unknown,
  tenant = 'tenant-a',
) => send(g, method, url, adminClaims(tenant), body);

describe('admin API: accounts', () => {
  it('creates an account in the admin tenant, lists it, never returns a hash', async () => {
    const g = await gateway();
    const created = await asAdmin(g, 'POST', '/admin/v1/accounts', {
      username: 'Bob',
      password: PASSWORD,
      roles: ['member'],
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.json()).toMatchObject({
      username: 'Bob',
      tenant: 'tenant-a',
      roles: ['member'],
      disabled: false,
      mustEnrollTotp: false,
    });
    const listed = await asAdmin(g, 'GET', '/admin/v1/accounts');
    expect(
      listed.json<{ accounts: Array<{ username: string }> }>().accounts.map((a) => a.username),
    ).toEqual(['Bob']);
    expect(listed.body).not.toMatch(/argon2|password/i);
  });

  it('an account given the admin role must enrol TOTP at its first login', async () => {
    const g = await gateway();
    const created = await asAdmin(g, 'POST', '/admin/v1/accounts', {
      username: 'second-admin',
      password: PASSWORD,
      roles: ['admin'],
    });
    expect(created.json()).toMatchObject({ roles: ['admin'], mustEnrollTotp: true });
  });

  it("tenant A's admin neither sees nor disables tenant B's accounts: 404 like a missing one", async () => {
    const g = await gateway();
    expect(
      (
        await asAdmin(
          g,
          'POST',
          '/admin/v1/accounts',
          { username: 'carol', password: PASSWORD },
          'tenant-b',
        )
      ).statusCode,
    ).toBe(201);
    const listed = await asAdmin(g, 'GET', '/admin/v1/accounts', undefined, 'tenant-a');
    expect(listed.json()).toEqual({ accounts: [] });
    const foreign = await asAdmin(
      g,
      'PATCH',
      '/admin/v1/accounts/carol',
      { disabled: true },
      'tenant-a',
    );
    const missing = await asAdmin(
      g,
      'PATCH',
      '/admin/v1/accounts/nobody',
      { disabled: true },
      'tenant-a',
    );
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'admin.not_found' });
    expect(foreign.json<{ detail: string }>().detail).toBe(
      missing.json<{ detail: string }>().detail,
    );
    const own = await asAdmin(g, 'GET', '/admin/v1/accounts', undefined, 'tenant-b');
    expect(own.json()).toMatchObject({ accounts: [{ username: 'carol', disabled: false }] });
  });

  it('refuses a tenant other than the admin own, whether it exists or not (403 admin.tenant_forbidden)', async () => {
    const g = await gateway();
    await asAdmin(
      g,
      'POST',
      '/admin/v1/accounts',
      { username: 'in-b', password: PASSWORD },
      'tenant-b',
    );
    for (const tenant of ['tenant-b', 'no-such-tenant']) {
      const response = await asAdmin(g, 'POST', '/admin/v1/accounts', {
        username: `x-${tenant}`,
        password: PASSWORD,
        tenant,
      });
      expect(response.statusCode, tenant).toBe(403);
      expect(response.json()).toMatchObject({ code: 'admin.tenant_forbidden' });
    }
    expect((await asAdmin(g, 'GET', '/admin/v1/accounts')).json()).toEqual({ accounts: [] });
  });

  it('a tenant admin cannot mint a role it neither holds nor is configured (403 admin.role_forbidden)', async () => {
    const g = await gateway();
    const response = await asAdmin(g, 'POST', '/admin/v1/accounts', {
      username: 'root',
      password: PASSWORD,
      roles: ['member', 'superadmin'],
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'admin.role_forbidden' });
    expect(response.json<{ detail: string }>().detail).toContain('superadmin');
    expect((await asAdmin(g, 'GET', '/admin/v1/accounts')).json()).toEqual({ accounts: [] });
  });

  it('disabling revokes every token the account holds; enabling does not bring them back', async () => {
    const g = await gateway();
    const created = await asAdmin(g, 'POST', '/admin/v1/accounts', {
      username: 'dave',
      password: PASSWORD,
      roles: ['user'],
    });
    const id = created.json<{ id: string }>().id;
    const disabled = await asAdmin(g, 'PATCH', '/admin/v1/accounts/DAVE', { disabled: true });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({
      account: { username: 'dave', disabled: true },
      tokensRevoked: true,
    });
    const [revocation] = await new SessionRepository(g.store.db).allRevocations();
    expect(revocation).toMatchObject({
      kind: 'subject',
      tenant: 'tenant-a',
      subject: id,
      issuer: g.config.server.publicUrl,
    });
    const enabled = await asAdmin(g, 'PATCH', '/admin/v1/accounts/dave', { disabled: false });
    expect(enabled.json()).toMatchObject({ account: { disabled: false }, tokensRevoked: false });
  });

  it.each([
    ['no body', undefined],
    ['not JSON', '{"username":'],
    ['an unknown field', { username: 'eve', password: PASSWORD, admin: true }],
    ['a username beyond its bound', { username: 'e'.repeat(257), password: PASSWORD }],
    [
      'too many roles',
      { username: 'eve', password: PASSWORD, roles: Array.from({ length: 33 }, () => 'member') },
    ],
    ['a password of the wrong type', { username: 'eve', password: 12345678901234 }],
  ])('refuses a create body with %s as 400 problem+json', async (_name, body) => {
    const g = await gateway();
    const response = await asAdmin(g, 'POST', '/admin/v1/accounts', body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(['admin.invalid_body', 'request.malformed_json', 'request.bad_request']).toContain(
      response.json<{ code: string }>().code,
    );
  });

  it('reads no body before the caller is an authenticated admin with MFA', async () => {
    const g = await gateway();
    const big = JSON.stringify({ username: 'x', password: 'y'.repeat(20_000) });
    const anonymous = await g.app.inject({
      method: 'POST',
      url: '/admin/v1/accounts',
      headers: { 'content-type': 'application/json' },
      payload: big,
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'auth.token_missing' });
    const user = await send(g, 'POST', '/admin/v1/accounts', userClaims('tenant-a', 'sid'), {
      username: 'u',
      password: PASSWORD,
    });
    expect(user.json()).toMatchObject({ code: 'authz.admin_required' });
    const oneFactor = await send(
      g,
      'POST',
      '/admin/v1/accounts',
      adminClaims('tenant-a', { amr: ['pwd'] }),
      {
        username: 'u',
        password: PASSWORD,
      },
    );
    expect(oneFactor.json()).toMatchObject({ code: 'authz.mfa_required' });
    const tooLarge = await asAdmin(g, 'POST', '/admin/v1/accounts', big);
    expect(tooLarge.statusCode).toBe(413);
    expect((await asAdmin(g, 'GET', '/admin/v1/accounts')).json()).toEqual({ accounts: [] });
  });

  it('random and mutated bodies never crash the create route: a 4xx problem, or a created account', async () => {
    const g = await gateway();
    const valid = JSON.stringify({ username: 'fuzz', password: PASSWORD, roles: ['member'] });
    const bodies = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.json({ maxDepth: 4 }),
      fc
        .tuple(
          fc.nat({ max: valid.length }),
          fc.nat({ max: valid.length }),
          fc.string({ maxLength: 8 }),
        )
        .map(
          ([at, cut, insert]) =>
            valid.slice(0, at) + insert + valid.slice(Math.min(valid.length, at + (cut % 6))),
        ),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const response = await asAdmin(g, 'POST', '/admin/v1/accounts', body);
        if (response.statusCode === 201) return;
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.headers['content-type']).toContain('application/problem+json');
      }),
      { numRuns: 60 },
    );
  });
});

describe('admin API: accounts and keys refuse who may not administer', () => {
  it.each([
    ['GET', '/admin/v1/accounts', undefined],
    ['POST', '/admin/v1/accounts', { username: 'u', password: PASSWORD }],
    ['PATCH', '/admin/v1/accounts/u', { disabled: true }],
    ['GET', '/admin/v1/service-keys', undefined],
    ['POST', '/admin/v1/service-keys', { name: 'n', roles: ['member'] }],
    ['DELETE', '/admin/v1/service-keys/AAAAAAAAAAAAAAAA', undefined],
  ] as const)(
    '%s %s: 403 for a user, 403 mfa_required for a one-factor admin',
    async (method, url, body) => {
      const g = await gateway();
      const user = await send(g, method, url, userClaims('tenant-a', 'sid'), body);
      expect(user.statusCode).toBe(403);
      expect(user.json()).toMatchObject({ code: 'authz.admin_required' });
      const oneFactor = await send(g, method, url, adminClaims('tenant-a', { amr: ['pwd'] }), body);
      expect(oneFactor.statusCode).toBe(403);
      expect(oneFactor.json()).toMatchObject({ code: 'authz.mfa_required' });
    },
  );
});

describe('admin API: service keys', () => {
  const keyBody = { name: 'nightly', roles: ['member'], expiresIn: '30d' };

  it('creates a key shown once (no-store), lists it without secret or hash, revokes it', async () => {
    const g = await gateway();
    const created = await asAdmin(g, 'POST', '/admin/v1/service-keys', keyBody);
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key, serviceKey } = created.json<{ key: string; serviceKey: { id: string } }>();
    const parts = parseServiceKey(key);
    expect(parts?.id).toBe(serviceKey.id);
    expect(serviceKey).toMatchObject({ tenant: 'tenant-a', roles: ['member'], status: 'active' });
    expect(created.json<{ serviceKey: { createdBy: string } }>().serviceKey.createdBy).toBe(
      'admin:admin-of-tenant-a',
    );

    const listed = await asAdmin(g, 'GET', '/admin/v1/service-keys');
    expect(listed.json()).toMatchObject({ serviceKeys: [{ id: serviceKey.id, status: 'active' }] });
    expect(listed.body).not.toContain(parts?.secret);
    expect(listed.body).not.toMatch(/secretHash|secret_hash/);
    const hash = createHash('sha256')
      .update(parts?.secret ?? '')
      .digest('base64url');
    expect(listed.body).not.toContain(hash);

    const revoked = await asAdmin(g, 'DELETE', `/admin/v1/service-keys/${serviceKey.id}`);
    expect(revoked.json()).toEqual({
      revoked: 'service-key',
      id: serviceKey.id,
      alreadyRevoked: false,
    });
    const again = await asAdmin(g, 'DELETE', `/admin/v1/service-keys/${serviceKey.id}`);
    expect(again.json()).toMatchObject({ alreadyRevoked: true });
    expect((await asAdmin(g, 'GET', '/admin/v1/service-keys')).json()).toMatchObject({
      serviceKeys: [{ status: 'revoked' }],
    });
  });

  it("tenant A's admin neither lists nor revokes tenant B's keys: 404 like an unknown id", async () => {
    const g = await gateway();
    const inB = await asAdmin(g, 'POST', '/admin/v1/service-keys', keyBody, 'tenant-b');
    const id = inB.json<{ serviceKey: { id: string } }>().serviceKey.id;
    expect((await asAdmin(g, 'GET', '/admin/v1/service-keys')).json()).toEqual({ serviceKeys: [] });
    const foreign = await asAdmin(g, 'DELETE', `/admin/v1/service-keys/${id}`);
    const unknown = await asAdmin(g, 'DELETE', '/admin/v1/service-keys/AAAAAAAAAAAAAAAA');
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'admin.not_found' });
    expect(foreign.json<{ detail: string }>().detail).toBe(
      unknown.json<{ detail: string }>().detail,
    );
    expect(
      (await asAdmin(g, 'GET', '/admin/v1/service-keys', undefined, 'tenant-b')).json(),
    ).toMatchObject({
      serviceKeys: [{ id, status: 'active' }],
    });
    // A tenant-less admin is confined to tenant-less keys, not given every tenant's.
    const global = await send(g, 'GET', '/admin/v1/service-keys', {
      ...adminClaims('x'),
      tenant: undefined,
    });
    expect(global.json()).toEqual({ serviceKeys: [] });
  });

  it.each([
    [{ ...keyBody, roles: ['membr'] }, 'did you mean "member"?'],
    [{ ...keyBody, aliases: ['chat'] }, 'not a configured model alias'],
    [{ ...keyBody, expiresIn: '9999d' }, 'maxLifetimeDays'],
    [{ ...keyBody, expiresIn: 'forever' }, 'expected <n>d or <n>h'],
  ])(
    'refuses %j with 400 admin.invalid_body naming the fix, and creates nothing',
    async (body, message) => {
      const g = await gateway();
      const response = await asAdmin(g, 'POST', '/admin/v1/service-keys', body);
      // A role that is neither configured nor held is refused as such first.
      const code = body.roles[0] === 'membr' ? 'admin.role_forbidden' : 'admin.invalid_body';
      expect(response.json()).toMatchObject({ code });
      if (code === 'admin.invalid_body')
        expect(response.json<{ detail: string }>().detail).toContain(message);
      expect(response.body).not.toMatch(/rk_/);
      expect((await asAdmin(g, 'GET', '/admin/v1/service-keys')).json()).toEqual({
        serviceKeys: [],
      });
    },
  );

  it('refuses a key for another tenant with 403 admin.tenant_forbidden', async () => {
    const g = await gateway();
    const response = await asAdmin(g, 'POST', '/admin/v1/service-keys', {
      ...keyBody,
      tenant: 'tenant-b',
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'admin.tenant_forbidden' });
  });
});
