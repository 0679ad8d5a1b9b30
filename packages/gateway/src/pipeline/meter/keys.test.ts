import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MeterLimitConfig } from '../../config/meter-schema.js';
import { newExchange, type Exchange } from '../exchange.js';
import { testPrincipal } from '../principal.test-helpers.js';
import { counterKey, limitApplies } from './keys.js';

function exchangeOf(overrides: Partial<Exchange> = {}): Exchange {
  return Object.assign(
    newExchange('r1', 'chat', '/v1/chat/completions', new AbortController().signal),
    overrides,
  );
}

const serviceKey = (id: string) =>
  testPrincipal({
    subject: `service:${id}`,
    issuer: 'rampart:service-key',
    credential: 'service_key',
    roles: ['batch'],
  });

describe('counter keys', () => {
  it('two service keys keyed on device share the placeholder device, never skip the limit', () => {
    const a = exchangeOf({ principal: serviceKey('a') });
    const b = exchangeOf({ principal: serviceKey('b') });
    const ip = { ip: '10.0.0.1' };
    expect(counterKey(['device'], a, ip)).toBe(counterKey(['device'], b, ip));
    expect(counterKey(['subject'], a, ip)).not.toBe(counterKey(['subject'], b, ip));
  });

  it('one subject under two issuers is two people', () => {
    const ip = { ip: '10.0.0.1' };
    const one = exchangeOf({ principal: testPrincipal({ issuer: 'https://a/', subject: '42' }) });
    const two = exchangeOf({ principal: testPrincipal({ issuer: 'https://b/', subject: '42' }) });
    expect(counterKey(['subject'], one, ip)).not.toBe(counterKey(['subject'], two, ip));
  });

  it('are total, bounded and never meet for different values (property)', () => {
    const value = fc.option(fc.string({ maxLength: 300 }), { nil: undefined });
    fc.assert(
      fc.property(value, value, value, value, fc.string(), (a, b, c, d, ip) => {
        const x = exchangeOf({
          principal: testPrincipal({ subject: a ?? '', tenant: b, deviceJkt: c, clientId: d }),
        });
        const y = exchangeOf({
          principal: testPrincipal({ subject: b ?? '', tenant: a, deviceJkt: d, clientId: c }),
        });
        const parts = ['subject', 'tenant', 'device', 'app', 'ip'] as const;
        const kx = counterKey(parts, x, { ip });
        const ky = counterKey(parts, y, { ip });
        expect(kx).toMatch(/^[A-Za-z0-9_-]{22}$/);
        const same = (a ?? '') === (b ?? '') && a === b && c === d;
        if (!same) expect(kx).not.toBe(ky);
      }),
    );
  });
});

describe('which limits apply', () => {
  const limit = (overrides: Partial<MeterLimitConfig>): MeterLimitConfig => ({
    name: 'l',
    key: ['subject'],
    attestation: 'any',
    failOpen: false,
    ...overrides,
  });

  it('a role filter needs one of its roles; no principal holds none', () => {
    const free = limit({ roles: ['free'] });
    expect(
      limitApplies(free, exchangeOf({ principal: testPrincipal({ roles: ['x', 'free'] }) })),
    ).toBe(true);
    expect(limitApplies(free, exchangeOf({ principal: testPrincipal({ roles: ['x'] }) }))).toBe(
      false,
    );
    expect(limitApplies(free, exchangeOf())).toBe(false);
  });

  it('unattested means anything short of attested: unattested, unavailable or not asked', () => {
    const unattested = limit({ attestation: 'unattested' });
    const attested = limit({ attestation: 'attested' });
    for (const status of ['unattested', 'unavailable'] as const) {
      const exchange = exchangeOf({ integrity: { status } });
      expect(limitApplies(unattested, exchange)).toBe(true);
      expect(limitApplies(attested, exchange)).toBe(false);
    }
    expect(limitApplies(unattested, exchangeOf())).toBe(true);
    const proven = exchangeOf({ integrity: { status: 'attested', platform: 'apple' } });
    expect(limitApplies(attested, proven)).toBe(true);
    expect(limitApplies(unattested, proven)).toBe(false);
  });
});
