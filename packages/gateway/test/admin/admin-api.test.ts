import { createDpopKey, startMockIssuer, type DpopKey, type MockIssuer } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import {
  adminClaims,
  call,
  startTestGateway,
  userClaims,
  type TestGateway,
} from '../identity/gateway.js';

let issuer: MockIssuer;
let phoneA: DpopKey;
let phoneB: DpopKey;
beforeAll(async () => {
  issuer = await startMockIssuer();
  phoneA = await createDpopKey();
  phoneB = await createDpopKey();
});
afterAll(() => issuer.close());

const gateways: TestGateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
});

async function gateway(dataDir = tempDir('rampart-admin-'), admin?: Record<string, unknown>) {
  const started = await startTestGateway({
    store: { url: undefined, dataDir },
    issuer,
    ...(admin === undefined ? {} : { admin }),
  });
  gateways.push(started);
  return started;
}

/** user-1 signs in in tenant A (phone A, sid-a) and, as another account, in tenant B (phone B, sid-b). */
async function withUsers(g: TestGateway) {
  const a = await call(g, issuer, {
    url: '/v1/models',
    claims: userClaims('tenant-a', 'sid-a'),
    device: phoneA,
  });
  const b = await call(g, issuer, {
    url: '/v1/models',
    claims: userClaims('tenant-b', 'sid-b'),
    device: phoneB,
  });
  expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
  await g.runtime.tracker.flush();
}

const admin = (
  g: TestGateway,
  method: 'GET' | 'DELETE',
  url: string,
  tenant = 'tenant-a',
  extra: Record<string, unknown> = {},
) => call(g, issuer, { method, url, claims: adminClaims(tenant, extra) });

describe('admin API: devices and sessions', () => {
  it("lists a user's devices and sessions in the admin's tenant", async () => {
    const g = await gateway();
    await withUsers(g);
    const devices = await admin(g, 'GET', '/admin/v1/users/user-1/devices');
    expect(devices.statusCode).toBe(200);
    expect(devices.json()).toMatchObject({
      subject: 'user-1',
      devices: [{ issuer: issuer.issuer, jkt: phoneA.jkt, attestationState: null, revoked: false }],
    });
    expect(devices.json<{ devices: unknown[] }>().devices).toHaveLength(1);
    const sessions = await admin(g, 'GET', '/admin/v1/users/user-1/sessions');
    expect(sessions.json()).toMatchObject({
      sessions: [{ sessionId: 'sid-a', deviceJkt: phoneA.jkt, revoked: false }],
    });
    expect(sessions.json<{ sessions: unknown[] }>().sessions).toHaveLength(1);
  });

  it("tenant A's admin can neither list nor revoke tenant B's devices or sessions: 404, not 403", async () => {
    const g = await gateway();
    // user-2 exists only in tenant B.
    await call(g, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-b', 'sid-only-b', 'user-2'),
      device: phoneB,
    });
    await withUsers(g);
    const attempts = [
      ['GET', '/admin/v1/users/user-2/devices'],
      ['GET', '/admin/v1/users/user-2/sessions'],
      ['DELETE', `/admin/v1/users/user-2/devices/${phoneB.jkt}`],
      ['DELETE', '/admin/v1/users/user-2/sessions/sid-only-b'],
      ['DELETE', '/admin/v1/users/user-2/sessions'],
      // The same subject exists in A, but B's device and session do not.
      ['DELETE', `/admin/v1/users/user-1/devices/${phoneB.jkt}`],
      ['DELETE', '/admin/v1/users/user-1/sessions/sid-b'],
    ] as const;
    for (const [method, url] of attempts) {
      const response = await admin(g, method, url, 'tenant-a');
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toMatchObject({ code: 'admin.not_found' });
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    // Nothing of B's was revoked, and what an unknown user gets looks the same.
    const unknown = await admin(g, 'GET', '/admin/v1/users/nobody/devices', 'tenant-a');
    const foreign = await admin(g, 'GET', '/admin/v1/users/user-2/devices', 'tenant-a');
    expect(unknown.json<{ detail: string }>().detail).toBe(
      foreign.json<{ detail: string }>().detail,
    );
    const stillIn = await call(g, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-b', 'sid-only-b', 'user-2'),
      device: phoneB,
    });
    expect(stillIn.statusCode).toBe(200);
    // B's own admin sees them.
    const own = await admin(g, 'GET', '/admin/v1/users/user-2/devices', 'tenant-b');
    expect(own.json<{ devices: unknown[] }>().devices).toHaveLength(1);
  });

  it('a revoked device is refused at once and shows as revoked; the revocation survives a restart', async () => {
    const dataDir = tempDir('rampart-admin-');
    const g = await gateway(dataDir);
    await withUsers(g);
    const revoke = await admin(g, 'DELETE', `/admin/v1/users/user-1/devices/${phoneA.jkt}`);
    expect(revoke.json()).toEqual({ revoked: 'device', count: 1 });
    const refused = await call(g, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-a', 'sid-new'),
      device: phoneA,
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'auth.token_revoked' });
    const listed = await admin(g, 'GET', '/admin/v1/users/user-1/devices');
    expect(listed.json<{ devices: unknown[] }>().devices[0]).toMatchObject({
      jkt: phoneA.jkt,
      revoked: true,
    });
    // Tenant B's user-1 on phone B is untouched.
    const other = await call(g, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-b', 'sid-b'),
      device: phoneB,
    });
    expect(other.statusCode).toBe(200);

    await g.close();
    gateways.splice(gateways.indexOf(g), 1);
    const restarted = await gateway(dataDir);
    const afterRestart = await call(restarted, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-a', 'sid-new'),
      device: phoneA,
    });
    expect(afterRestart.json()).toMatchObject({ code: 'auth.token_revoked' });
  });

  it('a revoked session is refused; other sessions of the user are not', async () => {
    const g = await gateway();
    await withUsers(g);
    await call(g, issuer, { url: '/v1/models', claims: userClaims('tenant-a', 'sid-laptop') });
    await g.runtime.tracker.flush();
    const revoke = await admin(g, 'DELETE', '/admin/v1/users/user-1/sessions/sid-laptop');
    expect(revoke.statusCode).toBe(200);
    const laptop = await call(g, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-a', 'sid-laptop'),
    });
    expect(laptop.statusCode).toBe(401);
    expect(laptop.headers['www-authenticate']).toMatch(
      /^Bearer realm="rampart", error="invalid_token"/,
    );
    const phone = await call(g, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-a', 'sid-a'),
      device: phoneA,
    });
    expect(phone.statusCode).toBe(200);
  });
});

describe('admin API: who may call it', () => {
  it('without a token: 401 with a challenge, as problem+json', async () => {
    const g = await gateway();
    const response = await g.app.inject({ method: 'GET', url: '/admin/v1/users/user-1/devices' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('Bearer realm="rampart"');
    expect(response.json()).toMatchObject({ code: 'auth.token_missing' });
  });

  it('a user without the admin role: 403 authz.admin_required', async () => {
    const g = await gateway();
    await withUsers(g);
    const response = await call(g, issuer, {
      url: '/admin/v1/users/user-1/devices',
      claims: { ...adminClaims('tenant-a'), roles: ['reader'] },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'authz.admin_required' });
  });

  it('an admin signed in with one factor: 403 authz.mfa_required; acr or two amr methods pass', async () => {
    const g = await gateway();
    await withUsers(g);
    const url = '/admin/v1/users/user-1/devices';
    expect((await admin(g, 'GET', url, 'tenant-a', { amr: ['pwd'] })).json()).toMatchObject({
      code: 'authz.mfa_required',
    });
    expect((await admin(g, 'GET', url, 'tenant-a', { amr: ['pwd', 'pwd'] })).statusCode).toBe(403);
    expect(
      (await admin(g, 'GET', url, 'tenant-a', { amr: [], acr: 'urn:rampart:acr:phr' })).statusCode,
    ).toBe(200);
    expect((await admin(g, 'GET', url, 'tenant-a', { amr: ['hwk', 'user'] })).statusCode).toBe(200);
  });

  it('admin.requireMfa: false lets a one-factor admin in (for issuers that cannot say MFA)', async () => {
    const g = await gateway(undefined, { requireMfa: false });
    await withUsers(g);
    const response = await admin(g, 'GET', '/admin/v1/users/user-1/devices', 'tenant-a', {
      amr: ['pwd'],
    });
    expect(response.statusCode).toBe(200);
  });

  it('the admin check is a function the authorization work can replace (isAdmin)', async () => {
    const g = await startTestGateway({
      store: { url: undefined, dataDir: tempDir('rampart-admin-') },
      issuer,
      isAdmin: (principal) => principal.subject === 'root',
    });
    gateways.push(g);
    await withUsers(g);
    const url = '/admin/v1/users/user-1/devices';
    expect((await admin(g, 'GET', url)).statusCode).toBe(403);
    const root = await call(g, issuer, {
      url,
      claims: { ...adminClaims('tenant-a'), sub: 'root', roles: [] },
    });
    expect(root.statusCode).toBe(200);
  });

  it('a DPoP-bound admin token works with its proof', async () => {
    const g = await gateway();
    await withUsers(g);
    const adminPhone = await createDpopKey();
    const response = await call(g, issuer, {
      url: '/admin/v1/users/user-1/sessions',
      claims: adminClaims('tenant-a'),
      device: adminPhone,
    });
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['a thumbprint with characters base64url has not', `/admin/v1/users/user-1/devices/a%2Ab`],
    ['an unknown query parameter', '/admin/v1/users/user-1/devices?tenant=tenant-b'],
    [
      'an issuer longer than 2048 characters',
      `/admin/v1/users/user-1/devices?issuer=${'x'.repeat(2049)}`,
    ],
  ])('refuses %s with 400 admin.invalid_request', async (_name, url) => {
    const g = await gateway();
    const method = url.includes('/devices/') ? 'DELETE' : 'GET';
    const response = await admin(g, method, url);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'admin.invalid_request' });
  });
});
