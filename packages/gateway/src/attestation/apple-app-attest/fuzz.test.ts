import { createHash } from 'node:crypto';
import { Decoder } from 'cbor-x';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MintedAttestation } from '@rampart/testkit';
import { rampartClientData } from '@rampart/testkit';
import { verifyAssertion, type AssertionRequest } from './assertion.js';
import { decodeBoundedCbor } from './cbor.js';
import { APP, mintFixture, type MintFixture } from './minted.test-helpers.js';

/** One change to a byte string: flip bits of a byte, cut it short, insert or delete a byte. */
type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number };

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, change: Mutation): Uint8Array {
  const copy = Buffer.from(bytes);
  const at = change.at % bytes.length;
  switch (change.kind) {
    case 'flip':
      copy[at] = (copy[at] ?? 0) ^ change.mask;
      return copy;
    case 'truncate':
      return copy.subarray(0, at);
    case 'insert':
      return Buffer.concat([copy.subarray(0, at), Uint8Array.of(change.byte), copy.subarray(at)]);
    case 'delete':
      return Buffer.concat([copy.subarray(0, at), copy.subarray(at + 1)]);
  }
}

let fx: MintFixture;
let good: MintedAttestation;
/** Where the receipt's bytes lie: Apple signs the receipt itself, not the attestation. */
let receipt: { start: number; end: number };
beforeAll(async () => {
  fx = await mintFixture();
  good = await fx.mint();
  const decoded = new Decoder({ mapsAsObjects: false }).decode(good.attestationObject) as Map<
    string,
    Map<string, Uint8Array>
  >;
  const bytes = decoded.get('attStmt')?.get('receipt') ?? new Uint8Array();
  const start = Buffer.from(good.attestationObject).indexOf(bytes);
  receipt = { start, end: start + bytes.length };
});

describe('App Attest parsing of hostile bytes (property-based)', () => {
  it('the CBOR gate never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const decoded = decodeBoundedCbor(bytes, { maxBytes: 4096, maxDepth: 3, maxItems: 16 });
        expect(typeof decoded.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes are never a valid attestation and never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 20_000 }), async (bytes) => {
        const verdict = await fx.verify({ ...good, attestationObject: bytes });
        expect(verdict.outcome).toBe('invalid');
      }),
      { numRuns: 300 },
    );
  });

  it('every mutation of an attestation outside its receipt is invalid, never a throw', async () => {
    expect((await fx.verify(good)).outcome).toBe('valid');
    await fc.assert(
      fc.asyncProperty(mutation, async (change) => {
        const at = change.at % good.attestationObject.length;
        const inReceipt = at >= receipt.start && at < receipt.end;
        fc.pre(!(change.kind === 'flip' && inReceipt));
        const verdict = await fx.verify({
          ...good,
          attestationObject: mutate(good.attestationObject, change),
        });
        expect(verdict.outcome).toBe('invalid');
      }),
      { numRuns: 400 },
    );
  });

  it('a changed receipt byte still verifies and is returned as sent (Apple signs receipts)', async () => {
    const attestationObject = mutate(good.attestationObject, {
      kind: 'flip',
      at: receipt.start,
      mask: 1,
    });
    const verdict = await fx.verify({ ...good, attestationObject });
    expect(verdict.outcome === 'valid' && verdict.value.receipt[0]).toBe(
      attestationObject[receipt.start],
    );
  });

  it('every mutation of an assertion or of its client data is invalid, never a throw', () => {
    const clientData = rampartClientData({
      challenge: 'challenge-1',
      htm: 'POST',
      htu: 'https://gateway.example/v1/chat/completions',
      body: '{}',
    });
    const expected = {
      challenge: 'challenge-1',
      htm: 'POST',
      htu: 'https://gateway.example/v1/chat/completions',
      bodySha256: createHash('sha256').update('{}').digest('base64url'),
    };
    const base: AssertionRequest = {
      assertion: fx.ca.assert(good, { ...APP, clientData, counter: 2 }),
      clientData: { kind: 'rampart', bytes: clientData, expected },
      app: APP,
      key: { publicKey: good.publicKey, counter: 1 },
    };
    expect(verifyAssertion(base).outcome).toBe('valid');
    fc.assert(
      fc.property(mutation, fc.boolean(), (change, ofClientData) => {
        const verdict = ofClientData
          ? verifyAssertion({
              ...base,
              clientData: { kind: 'rampart', bytes: mutate(clientData, change), expected },
            })
          : verifyAssertion({ ...base, assertion: mutate(base.assertion, change) });
        expect(verdict.outcome).toBe('invalid');
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes are never a valid assertion and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
        const verdict = verifyAssertion({
          assertion: bytes,
          clientData: {
            kind: 'raw',
            bytes: Buffer.from('challenge'),
            challenge: Buffer.from('challenge'),
          },
          app: APP,
          key: { publicKey: good.publicKey, counter: 0 },
        });
        expect(verdict.outcome).toBe('invalid');
      }),
      { numRuns: 2000 },
    );
  });
});
