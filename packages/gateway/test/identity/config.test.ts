import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redirectUriProblem } from '../../src/config/identity-schema.js';
import { validateConfig } from '../../src/config/index.js';
import { absoluteRefreshTtl } from '../../src/identity/provider/configuration.js';
import { ACR, acrFor, combineAmr } from '../../src/identity/provider/index.js';

const client = (redirectUris: string[]) => ({
  identity: { enabled: true, clients: [{ clientId: 'com.example.app', redirectUris }] },
  server: { port: 8787 },
});

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return String((error as Error).message);
  }
  return '';
}

describe('identity configuration', () => {
  it('defaults: on (no issuer is listed), 5-minute access tokens, 30-day logins, DPoP required', () => {
    const config = validateConfig({});
    expect(config.identity).toEqual({
      enabled: true,
      clients: [],
      accessTokenTtlSeconds: 300,
      refreshTokenTtlSeconds: 30 * 86_400,
      requireDpop: true,
    });
  });

  it.each([
    'com.example.app:/oauth2redirect',
    'https://app.example.com/callback',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:53124/callback',
    'http://[::1]/callback',
  ])('accepts the RFC 8252 redirect URI %s', (uri) => {
    expect(validateConfig(client([uri])).identity.clients[0]?.redirectUris).toEqual([uri]);
  });

  it.each([
    ['http://app.example.com/callback', 'loopback'],
    ['http://localhost/callback', 'not localhost'],
    ['https://app.example.com/cb#frag', 'fragment'],
    ['https://user:pw@app.example.com/cb', 'credentials'],
    ['javascript:alert(1)', 'not a redirect scheme'],
    ['myapp:/callback', 'reverse domain name'],
    ['/relative', 'absolute'],
  ])('refuses the redirect URI %s (%s)', (uri, reason) => {
    const message = messageOf(() => validateConfig(client([uri])));
    expect(message).toContain('identity.clients');
    expect(message).toContain(reason);
  });

  it('never accepts plain http:// to a non-loopback host (property)', () => {
    fc.assert(
      fc.property(fc.domain(), fc.webPath(), (host, path) => {
        fc.pre(!/^(localhost|127\.|\[?::1)/.test(host));
        expect(redirectUriProblem(`http://${host}${path}`)).toBeDefined();
      }),
    );
  });

  it('refuses to enable without a knowable issuer', () => {
    expect(
      messageOf(() => validateConfig({ identity: { enabled: true }, server: { port: 0 } })),
    ).toContain('identity.enabled');
    expect(
      messageOf(() =>
        validateConfig({
          identity: { enabled: true },
          server: { host: '0.0.0.0', tls: { certFile: 'c', keyFile: 'k' } },
        }),
      ),
    ).toContain('server.publicUrl');
    expect(
      messageOf(() =>
        validateConfig({
          identity: { enabled: true },
          server: { publicUrl: 'https://example.com/gateway' },
        }),
      ),
    ).toContain('without a path');
  });

  it('an issuer from the loopback bind, or server.publicUrl when set', () => {
    expect(validateConfig({ identity: { enabled: true } }).server.publicUrl).toBe(
      'http://127.0.0.1:8787',
    );
    const config = validateConfig({
      identity: { enabled: true },
      server: { host: '0.0.0.0', publicUrl: 'https://api.example.com' },
    });
    expect(config.server.publicUrl).toBe('https://api.example.com');
  });

  it('counts the embedded provider as authentication for a non-loopback bind', () => {
    expect(() =>
      validateConfig({
        identity: { enabled: true },
        server: { host: '0.0.0.0', publicUrl: 'https://api.example.com' },
        providers: {
          openai: {
            type: 'openai-compatible',
            baseUrl: 'https://api.openai.com/v1',
            apiKeyEnv: 'OPENAI_API_KEY',
          },
        },
        models: { chat: { provider: 'openai', model: 'gpt-4o-mini' } },
      }),
    ).not.toThrow();
  });
});

describe('acr and amr', () => {
  it.each([
    [['pwd'], ACR.password],
    [combineAmr(['pwd'], ['otp']), ACR.mfa],
    [['hwk', 'user', 'mfa'], ACR.phishingResistant],
    // A passkey without user verification is possession only: not phishing-resistant MFA.
    [['hwk'], ACR.password],
  ])('%j earns %s', (amr, acr) => {
    expect(acrFor(amr)).toBe(acr);
  });

  it('combines two steps with mfa added (RFC 8176)', () => {
    expect(combineAmr(['pwd'], ['otp'])).toEqual(['mfa', 'otp', 'pwd']);
    expect(combineAmr(['pwd'], ['pwd'])).toEqual(['pwd']);
  });
});

describe('refresh token lifetime', () => {
  it('is absolute: a rotated token gets what was left of the one it replaces', () => {
    const ttl = absoluteRefreshTtl(30 * 86_400);
    expect(ttl({ oidc: { entities: {} } })).toBe(30 * 86_400);
    expect(ttl({ oidc: { entities: { RotatedRefreshToken: { remainingTTL: 1234 } } } })).toBe(1234);
    expect(ttl({ oidc: { entities: { RotatedRefreshToken: { remainingTTL: 0 } } } })).toBe(1);
  });
});
