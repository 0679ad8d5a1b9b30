import { createDpopKey, startMockIssuer, type DpopKey, type MockIssuer } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  localSessionService,
  SessionRepository,
  type SubjectKey,
} from '../../src/identity/sessions/index.js';
import { tempDir } from '../helpers/tmp.js';
import { adminClaims, call, startTestGateway, userClaims, type TestGateway } from './gateway.js';

let issuer: MockIssuer;
let phone: DpopKey;
beforeAll(async () => {
  issuer = await startMockIssuer();
  phone = await createDpopKey();
});
afterAll(() => issuer.close());

let g: TestGateway | undefined;
afterEach(async () => {
  await g?.close();
  g = undefined;
});

async function gatewayWithUser(): Promise<TestGateway> {
  g = await startTestGateway({
    store: { url: undefined, dataDir: tempDir('rampart-hooks-') },
    issuer,
  });
  expect((await user(g)).statusCode).toBe(200);
  await g.runtime.tracker.flush();
  return g;
}

const user = (gateway: TestGateway) =>
  call(gateway, issuer, {
    url: '/v1/models',
    claims: userClaims('tenant-a', 'sid-a'),
    device: phone,
    now: Math.floor(Date.now() / 1000) - 5,
  });

describe('revocation hooks (for the embedded provider)', () => {
  it('revoking a session or a subject tells the provider once, with the owner', async () => {
    const gateway = await gatewayWithUser();
    const calls: Array<[string, string, SubjectKey]> = [];
    gateway.runtime.revocations.useHooks({
      onSessionRevoked: (sid, owner) => void calls.push(['session', sid, owner]),
      onSubjectRevoked: (subject, owner) => void calls.push(['subject', subject, owner]),
    });
    const admin = (url: string) =>
      call(gateway, issuer, { method: 'DELETE', url, claims: adminClaims('tenant-a') });
    expect((await admin('/admin/v1/users/user-1/sessions/sid-a')).statusCode).toBe(200);
    expect((await admin('/admin/v1/users/user-1/sessions')).statusCode).toBe(200);
    // A device revocation is the gateway's own business: no hook.
    expect((await admin(`/admin/v1/users/user-1/devices/${phone.jkt}`)).statusCode).toBe(200);
    const owner = { tenant: 'tenant-a', issuer: issuer.issuer, subject: 'user-1' };
    expect(calls).toEqual([
      ['session', 'sid-a', owner],
      ['subject', 'user-1', owner],
    ]);
  });

  it('a failing hook does not undo the revocation', async () => {
    const gateway = await gatewayWithUser();
    gateway.runtime.revocations.useHooks({
      onSessionRevoked: () => Promise.reject(new Error('provider down')),
    });
    const response = await call(gateway, issuer, {
      method: 'DELETE',
      url: '/admin/v1/users/user-1/sessions/sid-a',
      claims: adminClaims('tenant-a'),
    });
    expect(response.statusCode).toBe(200);
    expect((await user(gateway)).json()).toMatchObject({ code: 'auth.token_revoked' });
  });
});

describe('revocations made by another process without Redis', () => {
  it('reach a running gateway at its next resync from the store', async () => {
    const gateway = await gatewayWithUser();
    // What `rampart admin revoke-device` does on the same store, in another process.
    const cli = await localSessionService(new SessionRepository(gateway.store.db));
    expect(await cli.revokeDevice('tenant-a', 'user-1', phone.jkt)).toBe(1);
    expect((await user(gateway)).statusCode).toBe(200);
    await gateway.runtime.revocations.resync();
    expect((await user(gateway)).json()).toMatchObject({ code: 'auth.token_revoked' });
  });
});
