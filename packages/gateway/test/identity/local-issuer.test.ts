import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { localIssuerTrust } from '../../src/identity/provider/local-issuer.js';
import { openKeyring } from '../../src/keys/index.js';
import { createAuthenticator } from '../../src/pipeline/authenticate/index.js';
import { tempDir } from '../helpers/tmp.js';
import { DAY, manualClock } from '../keys/fixtures.js';

const ISSUER = 'http://127.0.0.1:8787';
const AUDIENCE = `${ISSUER}/v1`;

/** The resource server with the embedded provider as its only issuer (no auth.issuers). */
async function setup() {
  const clock = manualClock();
  const keyring = await openKeyring({ dataDir: tempDir(), sources: {}, now: clock.now });
  const config = validateConfig({ identity: { enabled: true } });
  const authenticator = createAuthenticator({
    config,
    localIssuer: localIssuerTrust(config, keyring),
    now: clock.now,
  });
  if (authenticator === undefined) throw new Error('the local issuer alone enables the stage');
  const sign = (
    claims: Record<string, unknown>,
    key: { key: Parameters<SignJWT['sign']>[0]; kid: string } = {
      key: keyring.current('oidc-signing').key,
      kid: keyring.current('oidc-signing').kid,
    },
  ) =>
    new SignJWT({ sub: 'acct-1', client_id: 'com.example.app', ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .setExpirationTime(Math.floor(clock.now() / 1000) + 300)
      .setJti('jti-1')
      .sign(key.key);
  const call = (token: string) =>
    authenticator.authenticate({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${token}` },
    });
  return { clock, keyring, sign, call };
}

describe('the /v1 resource server trusts the embedded provider with the keyring’s keys', () => {
  it('maps roles, tenant, acr, amr, sid and client_id onto the principal', async () => {
    const { sign, call } = await setup();
    const principal = await call(
      await sign({
        roles: ['admin'],
        tenant: 'tenant-a',
        acr: 'urn:rampart:acr:mfa',
        amr: ['mfa', 'otp', 'pwd'],
        sid: 'grant-1',
      }),
    );
    expect(principal).toMatchObject({
      subject: 'acct-1',
      issuer: ISSUER,
      roles: ['admin'],
      tenant: 'tenant-a',
      acr: 'urn:rampart:acr:mfa',
      amr: ['mfa', 'otp', 'pwd'],
      sessionId: 'grant-1',
      clientId: 'com.example.app',
      tokenId: 'jti-1',
    });
  });

  it('keeps verifying tokens of a rotated-out key through its overlap, not after', async () => {
    const { sign, call, keyring, clock } = await setup();
    const old = keyring.current('oidc-signing');
    await keyring.rotate('oidc-signing');
    await expect(call(await sign({}, old))).resolves.toMatchObject({ subject: 'acct-1' });
    clock.advance(7 * DAY);
    // A fresh token (valid times) signed by the retired key once its overlap is over.
    await expect(call(await sign({}, old))).rejects.toMatchObject({ code: 'auth.token_invalid' });
    await expect(call(await sign({}))).resolves.toMatchObject({ subject: 'acct-1' });
  });

  it('refuses a token naming the local issuer but signed by another key', async () => {
    const { sign, call, keyring } = await setup();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await sign({}, { key: privateKey, kid: keyring.current('oidc-signing').kid });
    await expect(call(forged)).rejects.toMatchObject({ code: 'auth.token_invalid' });
  });

  it('refuses a local token for another audience', async () => {
    const { call, keyring, clock } = await setup();
    const current = keyring.current('oidc-signing');
    const token = await new SignJWT({ sub: 'acct-1' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: current.kid })
      .setIssuer(ISSUER)
      .setAudience('https://another.api')
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .setExpirationTime(Math.floor(clock.now() / 1000) + 300)
      .sign(current.key);
    await expect(call(token)).rejects.toMatchObject({ code: 'auth.token_invalid' });
  });
});
