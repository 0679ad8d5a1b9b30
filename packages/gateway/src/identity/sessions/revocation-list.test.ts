import { describe, expect, it } from 'vitest';
import { testPrincipal } from '../../pipeline/principal.test-helpers.js';
import type { Principal } from '../../pipeline/exchange.js';
import { revocationGate } from './gate.js';
import { RevocationList } from './revocation-list.js';

const T0 = 1_800_000_000_000;
const owner = { tenant: 'tenant-a', issuer: 'https://issuer.example', subject: 'user-1' };

function principal(overrides: Partial<Principal> = {}): Principal {
  return testPrincipal({
    issuer: 'https://issuer.example',
    tenant: 'tenant-a',
    deviceJkt: 'jkt-1',
    tokenId: 'jti-1',
    sessionId: 'sid-1',
    issuedAt: T0 / 1000 - 60,
    ...overrides,
  });
}

describe('revocation list', () => {
  it('a revoked device key refuses its tokens and no other', () => {
    const list = new RevocationList();
    list.apply({ kind: 'device', ...owner, target: 'jkt-1', revokedAt: T0 });
    expect(list.revokedBy(principal())).toBe('device');
    expect(list.revokedBy(principal({ deviceJkt: 'jkt-2' }))).toBeUndefined();
    // The same key under another subject, tenant or issuer is another device.
    expect(list.revokedBy(principal({ subject: 'user-2' }))).toBeUndefined();
    expect(list.revokedBy(principal({ tenant: 'tenant-b' }))).toBeUndefined();
    expect(list.revokedBy(principal({ issuer: 'https://other.example' }))).toBeUndefined();
  });

  it('a revoked session refuses tokens carrying its sid', () => {
    const list = new RevocationList();
    list.apply({ kind: 'session', ...owner, target: 'sid-1', revokedAt: T0 });
    expect(list.revokedBy(principal())).toBe('session');
    expect(list.revokedBy(principal({ sessionId: 'sid-2' }))).toBeUndefined();
    expect(list.revokedBy(principal({ sessionId: undefined }))).toBeUndefined();
  });

  it("a subject's revocation refuses tokens issued at or before it, and not those issued after", () => {
    const list = new RevocationList();
    list.apply({ kind: 'subject', ...owner, target: '', revokedAt: T0 });
    expect(list.revokedBy(principal({ issuedAt: T0 / 1000 - 1 }))).toBe('subject');
    expect(list.revokedBy(principal({ issuedAt: T0 / 1000 }))).toBe('subject');
    expect(list.revokedBy(principal({ issuedAt: T0 / 1000 + 1 }))).toBeUndefined();
    // A token without iat cannot show it is newer.
    expect(list.revokedBy(principal({ issuedAt: undefined }))).toBe('subject');
    // An older cut-off arriving late (a resync) does not move it back.
    list.apply({ kind: 'subject', ...owner, target: '', revokedAt: T0 - 10_000 });
    expect(list.revokedBy(principal({ issuedAt: T0 / 1000 }))).toBe('subject');
  });

  it('parts cannot be shifted between fields to forge a match', () => {
    const list = new RevocationList();
    list.apply({
      kind: 'device',
      tenant: 'a',
      issuer: 'b',
      subject: 'c',
      target: 'd',
      revokedAt: T0,
    });
    expect(
      list.revokedBy(principal({ tenant: 'a', issuer: 'b', subject: 'c', deviceJkt: 'd' })),
    ).toBe('device');
    expect(
      list.revokedBy(principal({ tenant: 'a"', issuer: 'b', subject: 'c', deviceJkt: 'd' })),
    ).toBeUndefined();
    expect(
      list.revokedBy(principal({ tenant: 'a', issuer: 'b","c', subject: '', deviceJkt: 'd' })),
    ).toBeUndefined();
  });

  it('the gate refuses a revoked principal with auth.token_revoked and a Bearer challenge', () => {
    const list = new RevocationList();
    list.apply({ kind: 'device', ...owner, target: 'jkt-1', revokedAt: T0 });
    const admit = revocationGate(list, undefined);
    let caught: unknown;
    try {
      admit(principal(), T0);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'auth.token_revoked', status: 401 });
    expect(
      (caught as { extensions: Record<string, unknown> }).extensions['wwwAuthenticate'],
    ).toMatch(/^Bearer realm="rampart", error="invalid_token"/);
    expect(() => admit(principal({ deviceJkt: 'jkt-2', sessionId: undefined }), T0)).not.toThrow();
  });
});
