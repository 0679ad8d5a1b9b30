import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUTHZ_ENDPOINTS, AUTHZ_FEATURES } from '../../config/authz-schema.js';
import { validateConfig } from '../../config/index.js';
import { testPrincipal } from '../principal.test-helpers.js';
import type { Principal } from '../exchange.js';
import { compilePolicy, type AccessRequest } from './policy.js';

const authz = validateConfig({
  authz: {
    roles: {
      reader: [{ endpoints: ['chat', 'models'], aliases: ['small'] }],
      streamer: [{ endpoints: ['chat'], aliases: ['small', 'large'], features: ['stream'] }],
      analyst: [
        { endpoints: ['embeddings'], aliases: ['embed'] },
        { endpoints: ['chat'], aliases: ['*'], features: ['tools', 'images'], mfa: true },
      ],
    },
  },
}).authz;
const policy = compilePolicy(authz);

function principal(overrides: Partial<Principal> = {}): Principal {
  return testPrincipal({
    ...overrides,
  });
}

const chat = (alias: string, ...features: AccessRequest['features']): AccessRequest => ({
  endpoint: 'chat',
  alias,
  features,
});

describe('the authorization policy', () => {
  it.each([
    ['no role at all', [], chat('small'), 'authz.endpoint_forbidden'],
    ['a role nobody configured', ['admin'], chat('small'), 'authz.endpoint_forbidden'],
    [
      'a role named like an object member',
      ['__proto__', 'constructor'],
      chat('small'),
      'authz.endpoint_forbidden',
    ],
    ['a plain chat on a granted alias', ['reader'], chat('small'), 'allowed'],
    ['an alias the role does not name', ['reader'], chat('large'), 'authz.alias_forbidden'],
    ['an alias nobody configured', ['reader'], chat('nonexistent'), 'authz.alias_forbidden'],
    [
      'an endpoint the role does not grant',
      ['reader'],
      { endpoint: 'embeddings', alias: 'small', features: [] },
      'authz.endpoint_forbidden',
    ],
    [
      'a feature the role does not grant',
      ['reader'],
      chat('small', 'stream'),
      'authz.feature_forbidden',
    ],
    [
      'a feature another role of the caller grants',
      ['reader', 'streamer'],
      chat('small', 'stream'),
      'allowed',
    ],
    [
      'features split over two permissions',
      ['streamer', 'analyst'],
      chat('large', 'stream', 'tools'),
      'authz.feature_forbidden',
    ],
    ['an MFA permission without MFA', ['analyst'], chat('any', 'tools'), 'authz.mfa_required'],
    [
      'the models list',
      ['reader'],
      { endpoint: 'models', alias: undefined, features: [] },
      'allowed',
    ],
    [
      'the models list without a models grant',
      ['streamer'],
      { endpoint: 'models', alias: undefined, features: [] },
      'authz.endpoint_forbidden',
    ],
  ] as const)('%s → %s', (_name, roles, request, expected) => {
    const decision = policy.decide(principal({ roles }), request);
    expect(decision.allowed ? 'allowed' : decision.code).toBe(expected);
  });

  it.each([
    ['an acr from authz.mfa.acrValues', { acr: 'urn:rampart:acr:mfa' }, true],
    ['the phishing-resistant acr', { acr: 'urn:rampart:acr:phr' }, true],
    [
      'the OpenID PAPE multi-factor acr',
      { acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor' },
      true,
    ],
    ['the password acr', { acr: 'urn:rampart:acr:pwd' }, false],
    ['amr naming mfa', { amr: ['mfa'] }, true],
    ['amr with a password and an OTP', { amr: ['pwd', 'otp'] }, true],
    ['amr with a passkey and a fingerprint', { amr: ['hwk', 'fpt'] }, true],
    ['amr with a password and a PIN (one kind)', { amr: ['pwd', 'pin'] }, false],
    ['amr with a password and unknown methods', { amr: ['pwd', 'foo', 'bar'] }, false],
    [
      'a service key, whatever it claims',
      { acr: 'urn:rampart:acr:mfa', amr: ['mfa'], credential: 'service_key' },
      false,
    ],
  ] as const)('MFA is satisfied by %s: %s', (_name, overrides, satisfied) => {
    const decision = policy.decide(
      principal({ roles: ['analyst'], ...overrides }),
      chat('any', 'tools'),
    );
    expect(decision.allowed).toBe(satisfied);
  });

  it("narrows a service key's roles to its aliases, never widens them", () => {
    const key = principal({ roles: ['streamer'], credential: 'service_key', aliases: ['small'] });
    expect(policy.decide(key, chat('small', 'stream')).allowed).toBe(true);
    expect(policy.decide(key, chat('large', 'stream'))).toEqual({
      allowed: false,
      code: 'authz.alias_forbidden',
    });
    const wider = principal({ roles: ['reader'], credential: 'service_key', aliases: ['large'] });
    expect(policy.decide(wider, chat('large'))).toEqual({
      allowed: false,
      code: 'authz.alias_forbidden',
    });
  });

  it('never allows a principal none of whose roles grants the request (property)', () => {
    const name = fc.constantFrom('reader', 'streamer', 'analyst', 'admin', '__proto__', 'x', '*');
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 4 }),
        fc.constantFrom(...AUTHZ_ENDPOINTS),
        fc.constantFrom('small', 'large', 'embed', 'any', '*', '', 'nonexistent'),
        fc.subarray([...AUTHZ_FEATURES]),
        fc.option(fc.constantFrom('urn:rampart:acr:mfa', 'urn:rampart:acr:pwd'), {
          nil: undefined,
        }),
        fc.subarray(['pwd', 'otp', 'mfa', 'hwk']),
        (roles, endpoint, alias, features, acr, amr) => {
          const request: AccessRequest = {
            endpoint,
            alias: endpoint === 'models' ? undefined : alias,
            features,
          };
          const who = principal({ roles, acr, amr });
          // A grant, computed independently of the policy: one permission covering it all.
          const granted = roles.some((role) =>
            (Object.hasOwn(authz.roles, role) ? (authz.roles[role] ?? []) : []).some(
              (p) =>
                p.endpoints.includes(endpoint) &&
                (request.alias === undefined ||
                  p.aliases.includes('*') ||
                  p.aliases.includes(request.alias)) &&
                features.every((f) => p.features.includes(f)),
            ),
          );
          if (!granted) expect(policy.decide(who, request).allowed).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
