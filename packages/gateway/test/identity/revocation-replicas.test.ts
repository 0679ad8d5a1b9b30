import { createDpopKey, startMockIssuer, type DpopKey, type MockIssuer } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { describeWithRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { call, startTestGateway, userClaims, adminClaims, type TestGateway } from './gateway.js';

describeWithRedis('revocation across replicas (one store, one Redis)', (url, prefix) => {
  let issuer: MockIssuer;
  let device: DpopKey;
  const gateways: TestGateway[] = [];
  beforeAll(async () => {
    issuer = await startMockIssuer();
    device = await createDpopKey();
  });
  afterAll(() => issuer.close());
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
  });

  /** Two replicas A and B on one SQLite file (as two processes would share PostgreSQL) and one Redis. */
  async function twoReplicas() {
    const dataDir = tempDir('rampart-replicas-');
    const start = () =>
      startTestGateway({ store: { url: undefined, dataDir }, issuer, redis: { url, prefix } });
    const a = await start();
    gateways.push(a);
    const b = await start();
    gateways.push(b);
    return { a, b };
  }

  const models = (gateway: TestGateway, sid: string, withDevice = true) =>
    call(gateway, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-a', sid),
      ...(withDevice ? { device } : {}),
    });
  const asAdmin = (gateway: TestGateway, method: 'GET' | 'DELETE', path: string) =>
    call(gateway, issuer, { method, url: path, claims: adminClaims('tenant-a') });

  it('a device revoked through A is refused at B on its next request', async () => {
    const { a, b } = await twoReplicas();
    expect((await models(a, 'sid-1')).statusCode).toBe(200);
    expect((await models(b, 'sid-1')).statusCode).toBe(200);
    await a.runtime.tracker.flush();

    const revoke = await asAdmin(a, 'DELETE', `/admin/v1/users/user-1/devices/${device.jkt}`);
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toEqual({ revoked: 'device', count: 1 });
    // A applied it before answering; B applies it when the broadcast arrives (a Redis hop).
    expect((await models(a, 'sid-1')).json()).toMatchObject({ code: 'auth.token_revoked' });
    await vi.waitFor(async () => {
      const refused = await models(b, 'sid-1');
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'auth.token_revoked' });
      expect(refused.headers['www-authenticate']).toMatch(
        /^DPoP realm="rampart", .*error="invalid_token"/,
      );
    });
  });

  it('a replica whose subscriber dropped resyncs from the store when it reconnects', async () => {
    const { a, b } = await twoReplicas();
    expect((await models(b, 'sid-2', false)).statusCode).toBe(200);
    await b.runtime.tracker.flush();

    const subscriber = b.runtime.revocations.subscriber;
    if (subscriber === undefined) throw new Error('B has no subscriber');
    const resyncsBefore = b.runtime.revocations.resyncs;
    subscriber.disconnect();
    const revoke = await asAdmin(a, 'DELETE', '/admin/v1/users/user-1/sessions/sid-2');
    expect(revoke.statusCode).toBe(200);
    // B missed the broadcast: it still admits the session (nothing else tells it).
    expect((await models(b, 'sid-2', false)).statusCode).toBe(200);

    await subscriber.connect();
    await vi.waitFor(() => expect(b.runtime.revocations.resyncs).toBeGreaterThan(resyncsBefore));
    const refused = await models(b, 'sid-2', false);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'auth.token_revoked' });
    // And broadcasts flow again after the reconnect.
    expect((await models(b, 'sid-3', false)).statusCode).toBe(200);
    await b.runtime.tracker.flush();
    await asAdmin(a, 'DELETE', '/admin/v1/users/user-1/sessions/sid-3');
    await vi.waitFor(async () => {
      expect((await models(b, 'sid-3', false)).statusCode).toBe(401);
    });
  });

  it("revoking a user's sessions through A refuses at B every token issued before it", async () => {
    const { a, b } = await twoReplicas();
    const before = Math.floor(Date.now() / 1000) - 5;
    const old = () =>
      call(b, issuer, { url: '/v1/models', claims: userClaims('tenant-a', 'sid-4'), now: before });
    expect((await old()).statusCode).toBe(200);
    await b.runtime.tracker.flush();
    const revoke = await asAdmin(a, 'DELETE', '/admin/v1/users/user-1/sessions');
    expect(revoke.json()).toEqual({ revoked: 'subject', count: 1 });
    await vi.waitFor(async () => expect((await old()).statusCode).toBe(401));
    // A token issued after the revocation (a new sign-in) is accepted.
    const fresh = await call(b, issuer, {
      url: '/v1/models',
      claims: userClaims('tenant-a', 'sid-5'),
      now: Math.floor(Date.now() / 1000) + 2,
    });
    expect(fresh.statusCode).toBe(200);
  });
});
