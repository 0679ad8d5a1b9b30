import { randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityGateway, type IdentityGateway } from './provider-gateway.js';
import {
  authorizationRequest,
  client,
  discover,
  insecure,
  loginWithPassword,
  type Authorization,
} from './flow.js';
import { REDIRECT_URI } from './provider-gateway.js';

const alice = { username: 'alice', password: 'correct horse battery staple' };
const chat = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });

describe('DPoP server nonces at the embedded provider (auth.dpop.nonce.required)', () => {
  let running: IdentityGateway;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    running = await startIdentityGateway({
      config: { auth: { dpop: { nonce: { required: true } } } },
    });
    as = await discover(running.issuer);
  });
  afterAll(() => running.close());

  const codeRequest = (authorization: Authorization, callback: URL, DPoP: oauth.DPoPHandle) =>
    oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      oauth.validateAuthResponse(as, client, callback, authorization.state),
      REDIRECT_URI,
      authorization.verifier,
      { ...insecure, DPoP },
    );

  it('a token request without a nonce gets use_dpop_nonce and a DPoP-Nonce; the retry with it succeeds', async () => {
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const authorization = await authorizationRequest(as);
    const callback = await loginWithPassword(running.issuer, authorization, alice);

    const first = await codeRequest(authorization, callback, DPoP);
    expect(first.status).toBe(400);
    expect(first.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const refusal = await oauth.processAuthorizationCodeResponse(as, client, first).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(oauth.isDPoPNonceError(refusal)).toBe(true);

    // The handle kept the nonce: the same code, retried with a proof carrying it, is exchanged.
    const retry = await codeRequest(authorization, callback, DPoP);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, retry);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');

    // The refresh grant with the nonce the handle holds passes without another round trip.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token ?? '', {
        ...insecure,
        DPoP,
      }),
    );
    expect(refreshed.access_token).toBeTypeOf('string');

    // One nonce scheme for the origin: the nonce the token endpoint handed out is good at /v1
    // too, so the first call passes without another use_dpop_nonce round trip.
    const response = await oauth.protectedResourceRequest(
      refreshed.access_token,
      'POST',
      new URL(`${running.issuer}/v1/chat/completions`),
      new Headers({ 'content-type': 'application/json' }),
      chat,
      { ...insecure, DPoP },
    );
    expect(response.status).toBe(200);
  });

  it('a token request whose proof carries a nonce the server never issued is refused with use_dpop_nonce', async () => {
    const keys = await oauth.generateKeyPair('ES256');
    const authorization = await authorizationRequest(as);
    const callback = await loginWithPassword(running.issuer, authorization, alice);
    const tokenEndpoint = as.token_endpoint ?? '';
    const proof = await new SignJWT({
      htm: 'POST',
      htu: tokenEndpoint,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      nonce: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
      .sign(keys.privateKey);
    const response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.client_id,
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT_URI,
        code_verifier: authorization.verifier,
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('use_dpop_nonce');
    expect(response.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });
});
