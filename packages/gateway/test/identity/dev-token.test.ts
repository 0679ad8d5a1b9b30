import { SignJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateConfig, type Config } from '../../src/config/index.js';
import { devIssuer, mintDevToken } from '../../src/identity/dev-token/index.js';
import { identityAudience } from '../../src/identity/provider/constants.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { hello, postJson } from '../http/harness.js';
import { tempDir } from '../helpers/tmp.js';

const PUBLIC_URL = 'http://127.0.0.1:8787';

async function gatewayWith(raw: Record<string, unknown>): Promise<RunningGateway> {
  const config = validateConfig({
    dataDir: tempDir(),
    log: { level: 'silent' },
    ...raw,
    server: { port: 0, publicUrl: PUBLIC_URL, ...(raw['server'] as object | undefined) },
  });
  const gateway = await startGateway(config, {
    env: { REAL_KEY: 'sk-test' },
    processMetrics: false,
  });
  onTestFinished(() => gateway.close());
  return gateway;
}

const chat = (gateway: RunningGateway, token: string | undefined) =>
  postJson(
    `${gateway.url}/v1/chat/completions`,
    hello('demo-chat'),
    token === undefined ? {} : { authorization: `Bearer ${token}` },
  );

interface Problem {
  readonly code: string;
}

describe('demo mode with authentication on by default', () => {
  it('a development token reaches the demo models; without one /v1 answers 401 with a challenge', async () => {
    const gateway = await gatewayWith({});
    expect(gateway.config.auth.mode).toBe('required');
    expect(gateway.config.identity.enabled).toBe(true);

    const anonymous = await chat(gateway, undefined);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(((await anonymous.json()) as Problem).code).toBe('auth.token_missing');

    const token = await mintDevToken(gateway.config, gateway.keyring);
    const allowed = await chat(gateway, token);
    expect(allowed.status).toBe(200);
    const models = await fetch(`${gateway.url}/v1/models`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual([
      'demo-chat',
      'demo-embeddings',
    ]);
  });

  it('a development token expires after 5 minutes', async () => {
    const gateway = await gatewayWith({});
    const stale = await mintDevToken(gateway.config, gateway.keyring, Date.now() - 310_000);
    const response = await chat(gateway, stale);
    expect(response.status).toBe(401);
    expect(((await response.json()) as Problem).code).toBe('auth.token_expired');
  });

  it('is neither minted nor accepted once a provider is configured', async () => {
    const gateway = await gatewayWith({
      providers: {
        real: {
          type: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:9/v1',
          apiKeyEnv: 'REAL_KEY',
        },
      },
      models: { 'demo-chat': { provider: 'real', model: 'gpt' } },
      authz: {
        roles: { demo: [{ endpoints: ['chat'], aliases: ['*'] }] },
      },
    });
    expect(gateway.demo).toBeUndefined();
    await expect(mintDevToken(gateway.config, gateway.keyring)).rejects.toMatchObject({
      code: 'auth.dev_token_refused',
    });
    // A token of exactly the development shape, signed with the gateway's own key and carrying
    // a role that the configuration grants: refused, because the development issuer is not
    // trusted outside demo mode.
    const forged = await devShapedToken(gateway.config, gateway);
    const response = await chat(gateway, forged);
    expect(response.status).toBe(401);
    expect(((await response.json()) as Problem).code).toBe('auth.issuer_unknown');
  });

  it('is not minted with auth.mode none, where /v1 takes no token', async () => {
    const config = validateConfig({ dataDir: tempDir(), auth: { mode: 'none' } });
    const gateway = await gatewayWith({ auth: { mode: 'none' } });
    await expect(mintDevToken(config, gateway.keyring)).rejects.toMatchObject({
      code: 'auth.dev_token_refused',
    });
    expect((await chat(gateway, undefined)).status).toBe(200);
  });
});

async function devShapedToken(config: Config, gateway: RunningGateway): Promise<string> {
  const key = gateway.keyring.current('oidc-signing');
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: ['demo'] })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    .setIssuer(devIssuer(config))
    .setAudience(identityAudience(config))
    .setSubject('demo')
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .setJti('forged')
    .sign(key.key);
}
