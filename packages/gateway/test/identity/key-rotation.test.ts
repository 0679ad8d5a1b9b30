import { decodeProtectedHeader } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKeyring } from '../../src/keys/index.js';
import {
  authorizationRequest,
  client,
  discover,
  exchangeCode,
  insecure,
  locationOf,
  loginWithPassword,
  step,
} from './flow.js';
import {
  CookieJar,
  csrfOf,
  startIdentityGateway,
  type IdentityGateway,
} from './provider-gateway.js';

const alice = { username: 'alice', password: 'correct horse battery staple' };
const chat = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });

describe('oidc-signing rotated by another process, picked up without a restart', () => {
  let running: IdentityGateway;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    running = await startIdentityGateway();
    as = await discover(running.issuer);
  });
  afterAll(() => running.close());

  const callV1 = (token: string, DPoP: oauth.DPoPHandle) =>
    oauth.protectedResourceRequest(
      token,
      'POST',
      new URL(`${running.issuer}/v1/chat/completions`),
      new Headers({ 'content-type': 'application/json' }),
      chat,
      { ...insecure, DPoP },
    );

  it('a token signed before verifies after; new tokens carry the new kid; the JWKS lists both', async () => {
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const authorization = await authorizationRequest(as);
    const callback = await loginWithPassword(running.issuer, authorization, alice);
    const before = await exchangeCode(as, authorization, callback, DPoP);
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    expect(oldKid).toBe(running.gateway.keyring.current('oidc-signing').kid);

    // `rampart keys rotate oidc-signing` run by an operator: another keyring on the same files.
    const operator = await openKeyring({ dataDir: running.dataDir, sources: {} });
    const fresh = await operator.rotate('oidc-signing');
    expect(fresh.kid).not.toBe(oldKid);
    process.emit('SIGHUP', 'SIGHUP');
    await expect.poll(() => running.gateway.keyring.current('oidc-signing').kid).toBe(fresh.kid);

    // The token signed before the rotation still works at /v1 (the old key is in its overlap).
    expect((await callV1(before.access_token, DPoP)).status).toBe(200);

    // The published JWKS lists both keys, the new one first.
    const jwks = (await (await fetch(as.jwks_uri ?? '')).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual([fresh.kid, oldKid]);

    // A refresh after the reload mints a token signed with the new key, which /v1 accepts.
    const after = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), before.refresh_token ?? '', {
        ...insecure,
        DPoP,
      }),
    );
    expect(decodeProtectedHeader(after.access_token).kid).toBe(fresh.kid);
    expect((await callV1(after.access_token, DPoP)).status).toBe(200);
  });

  it('after a cookie-secret rotation is picked up, the rebuilt provider signs its cookies with the new key: logins and code exchanges work', async () => {
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const started = await authorizationRequest(as);
    const operator = await openKeyring({ dataDir: running.dataDir, sources: {} });
    const fresh = await operator.rotate('cookie-secret');
    process.emit('SIGHUP', 'SIGHUP');
    await expect.poll(() => running.gateway.keyring.current('cookie-secret').kid).toBe(fresh.kid);
    const callback = await loginWithPassword(running.issuer, started, alice);
    const tokens = await exchangeCode(as, started, callback, DPoP);
    expect((await callV1(tokens.access_token, DPoP)).status).toBe(200);
    const next = await authorizationRequest(as);
    const again = await loginWithPassword(running.issuer, next, alice);
    expect((await exchangeCode(as, next, again, DPoP)).access_token).toBeTypeOf('string');
  });

  it('a login begun before a cookie-secret rotation finishes after it: the old key verifies through its overlap', async () => {
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const authorization = await authorizationRequest(as);
    const jar = new CookieJar();
    // The provider sets its interaction cookie, signed with the cookie-secret of the moment.
    const loginUrl = locationOf(await step(jar, authorization.url), running.issuer);
    const operator = await openKeyring({ dataDir: running.dataDir, sources: {} });
    const fresh = await operator.rotate('cookie-secret');
    process.emit('SIGHUP', 'SIGHUP');
    await expect.poll(() => running.gateway.keyring.current('cookie-secret').kid).toBe(fresh.kid);

    let page = await step(jar, loginUrl);
    expect(page.status).toBe(200);
    const password = await step(jar, `${loginUrl.href}/password`, {
      form: { csrf: csrfOf(await page.text()), ...alice },
    });
    expect(password.status).toBe(303);
    page = await step(jar, loginUrl);
    const done = await step(jar, `${loginUrl.href}/continue`, {
      form: { csrf: csrfOf(await page.text()) },
    });
    const callback = locationOf(await step(jar, locationOf(done, running.issuer)), running.issuer);
    const tokens = await exchangeCode(as, authorization, callback, DPoP);
    expect((await callV1(tokens.access_token, DPoP)).status).toBe(200);
  });
});
