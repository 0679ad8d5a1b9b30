import fc from 'fast-check';
import { OctetString } from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMockKeyAttestationCa,
  DEFAULT_PACKAGE,
  DEFAULT_SIGNING_DIGEST,
  encodeKeyDescription,
} from '@rampart/testkit';
import { parseCertificate, type ParsedCertificate } from './certificate.js';
import {
  fixedStatusList,
  trustAnchorsFrom,
  verifyKeyAttestation,
  type KeyAttestationOptions,
} from './index.js';
import { KEY_DESCRIPTION_OID, readAttestationRecord } from './key-description.js';
import {
  loadRealChain,
  PLATFORM_SIGNING_DIGEST,
  SYSTEM_UID_PACKAGES,
} from './real-chains.test-helpers.js';

const NOW = Date.UTC(2027, 0, 15);
let minted: Uint8Array[];
let mintedOptions: KeyAttestationOptions;
let real: Uint8Array[];
let realOptions: KeyAttestationOptions;
let leaf: ParsedCertificate;

beforeAll(async () => {
  const ca = await createMockKeyAttestationCa({
    validity: {
      notBefore: new Date(Date.UTC(2026, 0, 1)),
      notAfter: new Date(Date.UTC(2036, 0, 1)),
    },
  });
  minted = (await ca.mint()).chain;
  mintedOptions = {
    challenge: new TextEncoder().encode('challenge'),
    now: NOW,
    policy: {
      packageNames: [DEFAULT_PACKAGE.name],
      signingCertificateDigests: [Buffer.from(DEFAULT_SIGNING_DIGEST).toString('hex')],
    },
    revocation: fixedStatusList({ entries: new Map() }),
    trustAnchors: trustAnchorsFrom([ca.rootDer]),
  };
  real = loadRealChain('algorithm_EC_SecurityLevel_TEE');
  realOptions = {
    challenge: new TextEncoder().encode('abc'),
    now: Date.UTC(2020, 0, 1),
    policy: {
      packageNames: SYSTEM_UID_PACKAGES,
      signingCertificateDigests: [PLATFORM_SIGNING_DIGEST],
      allowedBootStates: ['unverified'],
      requireDeviceLocked: false,
    },
    revocation: fixedStatusList({ entries: new Map() }),
  };
  const parsed = parseCertificate(minted[0] ?? new Uint8Array());
  if (typeof parsed === 'string') throw new Error(parsed);
  leaf = parsed;
});

/** One change to a chain of DER certificates. */
type Mutation =
  | { kind: 'flip'; cert: number; at: number; xor: number }
  | { kind: 'truncate'; cert: number; at: number }
  | { kind: 'insert'; cert: number; at: number; bytes: Uint8Array }
  | { kind: 'replace'; cert: number; bytes: Uint8Array }
  | { kind: 'swap'; a: number; b: number };

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    cert: fc.nat(3),
    at: fc.nat(4000),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), cert: fc.nat(3), at: fc.nat(4000) }),
  fc.record({
    kind: fc.constant('insert' as const),
    cert: fc.nat(3),
    at: fc.nat(4000),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    cert: fc.nat(3),
    bytes: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(3), b: fc.nat(3) }),
);

function mutate(chain: readonly Uint8Array[], change: Mutation): Uint8Array[] {
  const out = chain.map((der) => new Uint8Array(der));
  if (change.kind === 'swap') {
    const a = change.a % out.length;
    const b = ((change.b % (out.length - 1)) + a + 1) % out.length; // always a different position
    const [first, second] = [out[a], out[b]];
    if (first !== undefined && second !== undefined) [out[a], out[b]] = [second, first];
    return out;
  }
  const index = change.cert % out.length;
  const der = out[index] ?? new Uint8Array();
  const at = change.kind === 'replace' ? 0 : change.at % der.length;
  switch (change.kind) {
    case 'flip':
      der[at] = (der[at] ?? 0) ^ change.xor;
      break;
    case 'truncate':
      out[index] = der.slice(0, at);
      break;
    case 'insert':
      out[index] = new Uint8Array([...der.slice(0, at), ...change.bytes, ...der.slice(at)]);
      break;
    case 'replace':
      out[index] = new Uint8Array(change.bytes);
      break;
  }
  return out;
}

describe('mutated certificate chains', () => {
  it('every mutation of a minted chain is invalid, never valid, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (change) => {
        const verdict = await verifyKeyAttestation(mutate(minted, change), mintedOptions);
        expect(verdict.outcome).toBe('invalid');
      }),
      { numRuns: 300 },
    );
  });

  it('every mutation of a real chain is invalid, never valid, never a throw', async () => {
    expect((await verifyKeyAttestation(real, realOptions)).outcome).toBe('valid');
    await fc.assert(
      fc.asyncProperty(mutation, async (change) => {
        const verdict = await verifyKeyAttestation(mutate(real, change), realOptions);
        expect(verdict.outcome).toBe('invalid');
      }),
      { numRuns: 150 },
    );
  });

  it('chains of random bytes are invalid, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 }),
        async (chain) => {
          const verdict = await verifyKeyAttestation(chain, mintedOptions);
          expect(verdict.outcome).toBe('invalid');
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('mutated attestation extensions', () => {
  it('the KeyDescription reader answers every mutated extension without throwing', () => {
    const original = encodeKeyDescription({
      packages: [DEFAULT_PACKAGE, { name: 'com.example.b', version: 2 }],
    });
    fc.assert(
      fc.property(
        fc.nat(original.length - 1),
        fc.integer({ min: 1, max: 255 }),
        fc.nat(original.length),
        (at, xor, cut) => {
          const bytes = new Uint8Array(original.slice(0, Math.max(cut, 1)));
          if (at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ xor;
          const extension = new Extension({
            extnID: KEY_DESCRIPTION_OID,
            critical: false,
            extnValue: new OctetString(bytes),
          });
          const verdict = readAttestationRecord({ ...leaf, extensions: [extension] });
          if (verdict.outcome !== 'valid')
            expect(['extension_malformed', 'too_large']).toContain(verdict.reason);
        },
      ),
      { numRuns: 500 },
    );
  });
});
