import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR } from '../../src/identity/provider/index.js';
import { CLIENT_ID, startIdentityGateway, type IdentityGateway } from './provider-gateway.js';
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
import { CookieJar } from './provider-gateway.js';

const alice = { username: 'alice', password: 'correct horse battery staple' };

describe('embedded provider, end to end with oauth4webapi', () => {
  let running: IdentityGateway;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    running = await startIdentityGateway();
    as = await discover(running.issuer);
  });
  afterAll(() => running.close());

  /** A full login and a DPoP-bound token pair. */
  async function login(DPoP: oauth.DPoPHandle) {
    const authorization = await authorizationRequest(as);
    const callback = await loginWithPassword(running.issuer, authorization, alice);
    return exchangeCode(as, authorization, callback, DPoP);
  }

  function dpopHandle(keys: oauth.CryptoKeyPair) {
    return oauth.DPoP(client, keys);
  }

  it('publishes discovery for native apps: code + PKCE S256, DPoP, revocation, the oidc-signing JWKS', async () => {
    expect(as.issuer).toBe(running.issuer);
    expect(as.response_types_supported).toEqual(['code']);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.grant_types_supported).not.toContain('password');
    expect(as.grant_types_supported).not.toContain('implicit');
    expect(as.dpop_signing_alg_values_supported).toContain('ES256');
    expect(as.revocation_endpoint).toBe(`${running.issuer}/oauth/revoke`);
    const jwks = (await (await fetch(as.jwks_uri as string)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks).toEqual(running.gateway.keyring.jwks('oidc-signing'));
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });

  it('logs in with PKCE and DPoP, and the access token works on /v1 with a proof', async () => {
    const keys = await oauth.generateKeyPair('ES256');
    const DPoP = dpopHandle(keys);
    const tokens = await login(DPoP);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(tokens.refresh_token).toBeTypeOf('string');
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({
      typ: 'at+jwt',
      alg: 'ES256',
      kid: running.gateway.keyring.current('oidc-signing').kid,
    });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({
      iss: running.issuer,
      aud: `${running.issuer}/v1`,
      sub: 'acct-alice',
      client_id: CLIENT_ID,
      scope: 'api',
      roles: ['member'],
      tenant: 'tenant-a',
      acr: ACR.password,
      amr: ['pwd'],
    });
    expect((claims.cnf as { jkt?: unknown }).jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claims.jti).toBeTypeOf('string');
    expect(claims.sid).toBeTypeOf('string');
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);

    const response = await oauth.protectedResourceRequest(
      tokens.access_token,
      'POST',
      new URL(`${running.issuer}/v1/chat/completions`),
      new Headers({ 'content-type': 'application/json' }),
      JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      { ...insecure, DPoP },
    );
    expect(response.status).toBe(200);

    // The same token as a plain bearer token is refused: it is bound to the device key.
    const bearer = await fetch(`${running.issuer}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(bearer.status).toBe(401);
  });

  it('rotates the refresh token on every use; reusing a spent one revokes the whole grant', async () => {
    const DPoP = dpopHandle(await oauth.generateKeyPair('ES256'));
    const first = await login(DPoP);
    const refresh = (token: string) =>
      oauth
        .refreshTokenGrantRequest(as, client, oauth.None(), token, { ...insecure, DPoP })
        .then((response) => oauth.processRefreshTokenResponse(as, client, response));
    const second = await refresh(first.refresh_token as string);
    expect(second.refresh_token).toBeTypeOf('string');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(second.access_token).sid).toBe(decodeJwt(first.access_token).sid);
    expect(decodeJwt(second.access_token).acr).toBe(ACR.password);

    // A thief replays the spent token: refused, and the grant dies with it.
    await expect(refresh(first.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(refresh(second.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('a refresh token is bound to the DPoP key it was issued to', async () => {
    const DPoP = dpopHandle(await oauth.generateKeyPair('ES256'));
    const tokens = await login(DPoP);
    const other = dpopHandle(await oauth.generateKeyPair('ES256'));
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token as string,
      { ...insecure, DPoP: other },
    );
    await expect(oauth.processRefreshTokenResponse(as, client, response)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('revokes a refresh token (RFC 7009): it no longer refreshes', async () => {
    const DPoP = dpopHandle(await oauth.generateKeyPair('ES256'));
    const tokens = await login(DPoP);
    const revocation = await oauth.revocationRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token as string,
      insecure,
    );
    await oauth.processRevocationResponse(revocation);
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token as string,
      { ...insecure, DPoP },
    );
    await expect(oauth.processRefreshTokenResponse(as, client, response)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses a token request without DPoP for a DPoP-required client', async () => {
    const authorization = await authorizationRequest(as);
    const callback = await loginWithPassword(running.issuer, authorization, alice);
    // The code is refused without the proof of possession the client registered for.
    await expect(exchangeCode(as, authorization, callback, undefined)).rejects.toMatchObject({
      status: 400,
      error: 'invalid_grant',
    });
  });

  async function authorizationRefusal(extra: Record<string, string>, drop: string[] = []) {
    const authorization = await authorizationRequest(as, extra);
    for (const name of drop) authorization.url.searchParams.delete(name);
    return step(new CookieJar(), authorization.url);
  }

  it.each([
    ['plain PKCE', { code_challenge_method: 'plain' }, [] as string[]],
    ['no PKCE', {}, ['code_challenge', 'code_challenge_method']],
  ])('refuses %s: the error goes back to the app, no login page', async (_name, extra, drop) => {
    const response = await authorizationRefusal(extra, drop);
    const location = locationOf(response, running.issuer);
    expect(location.protocol).toBe('com.example.app:');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('refuses the implicit flow (response_type=token)', async () => {
    const response = await authorizationRefusal({ response_type: 'token' });
    const location = locationOf(response, running.issuer);
    // The error of a token-bearing response type travels in the fragment; no token does.
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('error')).toBe('unsupported_response_type');
    expect(location.href).not.toContain('access_token');
  });

  it('refuses an unregistered redirect URI without redirecting to it', async () => {
    const response = await authorizationRefusal({ redirect_uri: 'com.evil.app:/steal' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).not.toContain('<script');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('bounds the body of a provider endpoint before it is read', async () => {
    const response = await fetch(as.token_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${'a'.repeat(100_000)}`,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses the password and client-credentials grants', async () => {
    for (const grant of ['password', 'client_credentials']) {
      const response = await fetch(as.token_endpoint as string, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: grant,
          client_id: CLIENT_ID,
          username: 'alice',
          password: alice.password,
        }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(
        /unsupported_grant_type|unauthorized_client/,
      );
    }
  });
});
