import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityGateway, type IdentityGateway } from './provider-gateway.js';
import {
  authorizationRequest,
  client,
  discover,
  exchangeCode,
  insecure,
  loginWithPassword,
} from './flow.js';

const alice = { username: 'alice', password: 'correct horse battery staple' };

/**
 * Two gateways on one database and one keyring, as two replicas behind a load balancer: both
 * have the first one's URL as `server.publicUrl` (the shared issuer), and the second one is
 * reached through its own port, as a load balancer would.
 */
describe('embedded provider state is shared by replicas on one database', () => {
  let first: IdentityGateway;
  let second: IdentityGateway;
  let as: oauth.AuthorizationServer;
  let viaSecond: { [oauth.customFetch]: typeof fetch };
  /** Requests the second replica served. */
  let served = 0;

  beforeAll(async () => {
    first = await startIdentityGateway();
    second = await startIdentityGateway({
      accounts: first.accounts,
      dataDir: first.dataDir,
      config: { server: { publicUrl: first.issuer } },
    });
    as = await discover(first.issuer);
    const target = new URL(second.gateway.url);
    viaSecond = {
      [oauth.customFetch]: ((url: string, options: RequestInit) => {
        const rewritten = new URL(url);
        rewritten.host = target.host;
        served += 1;
        return fetch(rewritten, options);
      }) as typeof fetch,
    };
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('a refresh token issued by one replica is redeemed by the other, and reuse there kills the grant', async () => {
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const authorization = await authorizationRequest(as);
    const callback = await loginWithPassword(first.issuer, authorization, alice);
    const issued = await exchangeCode(as, authorization, callback, DPoP);

    const refreshAt = async (token: string, replica: object) =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), token, {
          ...insecure,
          ...replica,
          DPoP,
        }),
      );
    const rotated = await refreshAt(issued.refresh_token as string, viaSecond);
    expect(rotated.refresh_token).toBeTypeOf('string');
    expect(served).toBe(1);

    // The access token the second replica signed is accepted by the first one's /v1.
    const response = await oauth.protectedResourceRequest(
      rotated.access_token,
      'POST',
      new URL(`${first.issuer}/v1/chat/completions`),
      new Headers({ 'content-type': 'application/json' }),
      JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      { ...insecure, DPoP },
    );
    expect(response.status).toBe(200);

    // The spent token replayed at the first replica: refused, and the rotated one dies too.
    await expect(refreshAt(issued.refresh_token as string, {})).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(refreshAt(rotated.refresh_token as string, viaSecond)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
