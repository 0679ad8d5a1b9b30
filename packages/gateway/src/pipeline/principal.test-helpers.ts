import type { Principal } from './exchange.js';

/**
 * A verified caller for unit tests of the stages and services that read one: every field
 * present (the type requires them all), none bound or privileged unless the test says so.
 */
export function testPrincipal(overrides: Partial<Principal> = {}): Principal {
  return {
    subject: 'user-1',
    issuer: 'https://issuer.test/',
    tenant: undefined,
    roles: [],
    acr: undefined,
    amr: [],
    deviceJkt: undefined,
    tokenId: undefined,
    sessionId: undefined,
    issuedAt: undefined,
    credential: 'access_token',
    clientId: undefined,
    ...overrides,
  };
}
