import { createMockAppAttestCa, type AppAttestMintOptions } from '@rampart/testkit';
import type { MintedAttestation, MockAppAttestCa } from '@rampart/testkit';
import { verifyAttestation, type AttestationRequest } from './attestation.js';
import { parseRoots } from './chain.js';
import type { X509Certificate } from './x509.js';

/** The frozen clock of the minted-object tests. */
export const NOW = Date.parse('2030-06-01T12:00:00Z');
export const APP = { teamId: 'TEAMID1234', bundleId: 'com.example.rampart' } as const;
export const CHALLENGE = Buffer.from('a single-use challenge from the gateway');

export interface MintFixture {
  readonly ca: MockAppAttestCa;
  readonly roots: readonly X509Certificate[];
  mint(overrides?: Partial<AppAttestMintOptions>): Promise<MintedAttestation>;
  /** Verifies with the fixture's defaults; `request` adjusts what the caller passes. */
  verify(
    minted: MintedAttestation,
    request?: Partial<AttestationRequest>,
  ): ReturnType<typeof verifyAttestation>;
}

export async function mintFixture(): Promise<MintFixture> {
  const ca = await createMockAppAttestCa();
  const roots = parseRoots([ca.rootPem]);
  return {
    ca,
    roots,
    mint: (overrides = {}) =>
      ca.attest({
        ...APP,
        environment: 'production',
        clientData: CHALLENGE,
        now: new Date(NOW),
        ...overrides,
      }),
    verify: (minted, request = {}) =>
      verifyAttestation({
        attestationObject: minted.attestationObject,
        keyId: minted.keyId,
        client: { clientData: CHALLENGE },
        app: APP,
        allowedEnvironments: ['production'],
        now: () => NOW,
        roots,
        ...request,
      }),
  };
}
