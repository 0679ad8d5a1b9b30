import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { Encoder } from 'cbor-x';
import { beforeAll, describe, expect, it } from 'vitest';
import { rampartClientData } from '@rampart/testkit';
import type { MintedAttestation } from '@rampart/testkit';
import { verifyAssertion, type AssertionRequest } from './assertion.js';
import { MAX_ATTESTATION_BYTES } from './attestation.js';
import type { RampartClientData } from './client-data.js';
import { APP, mintFixture, NOW, type MintFixture } from './minted.test-helpers.js';
import { APP_ATTEST_REASONS, type AppAttestReason } from './reasons.js';
import { parseRoots } from './chain.js';
import { APPLE_APP_ATTESTATION_ROOT_CA_PEM } from './root.js';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: false });
const DAY = 24 * 60 * 60 * 1000;
const reached = new Set<AppAttestReason>();

function expectInvalid(verdict: { outcome: string }, reason: AppAttestReason): void {
  expect(verdict).toMatchObject({ outcome: 'invalid', reason });
  reached.add(reason);
}

let fx: MintFixture;
let good: MintedAttestation;
beforeAll(async () => {
  fx = await mintFixture();
  good = await fx.mint();
});

describe('App Attest attestations minted by the testkit CA', () => {
  it('a well-formed attestation is valid and yields the key to persist', async () => {
    const verdict = await fx.verify(good);
    expect(verdict.outcome).toBe('valid');
    if (verdict.outcome !== 'valid') return;
    expect(Buffer.from(verdict.value.keyId, 'base64url')).toEqual(Buffer.from(good.keyId));
    expect(verdict.value.publicKeyJwk).toEqual(good.publicKey.export({ format: 'jwk' }));
    expect(verdict.value.environment).toBe('production');
    expect(verdict.value.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('development keys are told apart by their aaguid and refused unless allowed', async () => {
    const development = await fx.mint({ environment: 'development' });
    expectInvalid(await fx.verify(development), 'environment_forbidden');
    const allowed = await fx.verify(development, { allowedEnvironments: ['development'] });
    expect(allowed.outcome === 'valid' && allowed.value.environment).toBe('development');
  });

  it('a chain to the real Apple root is refused when the testkit CA signed it', async () => {
    const verdict = await fx.verify(good, {
      roots: parseRoots([APPLE_APP_ATTESTATION_ROOT_CA_PEM]),
    });
    expectInvalid(verdict, 'chain_untrusted');
  });

  it('a chain from another root with the same names is untrusted', async () => {
    expectInvalid(await fx.verify(await fx.mint({ foreignRoot: true })), 'chain_untrusted');
  });

  it('x5c with the certificates swapped, missing or padded is refused', async () => {
    const swapped = await fx.mint({ x5c: ([leaf, ca]) => [ca, leaf].filter(isBytes) });
    expectInvalid(await fx.verify(swapped), 'chain_untrusted');
    const alone = await fx.mint({ x5c: ([leaf]) => [leaf].filter(isBytes) });
    expectInvalid(await fx.verify(alone), 'certificate_malformed');
    const garbage = await fx.mint({ x5c: ([leaf]) => [leaf, randomBytes(300)].filter(isBytes) });
    expectInvalid(await fx.verify(garbage), 'certificate_malformed');
  });

  it('certificates malleated outside their signed part are refused', async () => {
    // The outer SEQUENCE one byte short: the reader would ignore the trailing byte.
    const shortened = await fx.mint({
      x5c: ([leaf, ca]) => {
        const copy = Buffer.from(leaf ?? new Uint8Array());
        copy.writeUInt16BE(copy.readUInt16BE(2) - 1, 2);
        return [copy, ca].filter(isBytes);
      },
    });
    expectInvalid(await fx.verify(shortened), 'certificate_malformed');
    // The ECDSA signature's inner SEQUENCE tag changed: WebCrypto's DER reader accepted it.
    const retagged = await fx.mint({
      x5c: ([leaf, ca]) => {
        const copy = Buffer.from(leaf ?? new Uint8Array());
        const signature = Buffer.from(AsnConvert.parse(copy, Certificate).signatureValue);
        const at = copy.lastIndexOf(signature);
        copy[at] = (copy[at] ?? 0) ^ 0x80;
        return [copy, ca].filter(isBytes);
      },
    });
    expectInvalid(await fx.verify(retagged), 'chain_untrusted');
  });

  it('an expired credential certificate is refused, and one not yet valid', async () => {
    const expired = await fx.mint({
      leafValidity: { notBefore: new Date(NOW - 10 * DAY), notAfter: new Date(NOW - DAY) },
    });
    expectInvalid(await fx.verify(expired), 'certificate_expired');
    const early = await fx.mint({
      leafValidity: { notBefore: new Date(NOW + DAY), notAfter: new Date(NOW + 10 * DAY) },
    });
    expectInvalid(await fx.verify(early), 'certificate_not_yet_valid');
  });

  it('the CA certificates expire too: after 2045 the chain is refused', async () => {
    const verdict = await fx.verify(good, { now: () => Date.parse('2046-01-01T00:00:00Z') });
    expectInvalid(verdict, 'certificate_expired');
  });

  it('a swapped bundle id (another app) is refused', async () => {
    expectInvalid(
      await fx.verify(await fx.mint({ rpBundleId: 'com.example.evil' })),
      'rp_id_mismatch',
    );
    expectInvalid(
      await fx.verify(good, { app: { ...APP, bundleId: 'com.example.evil' } }),
      'rp_id_mismatch',
    );
  });

  it('a nonce over other client data, or none, is refused', async () => {
    const stale = await fx.mint({ nonceClientData: Buffer.from('an older challenge') });
    expectInvalid(await fx.verify(stale), 'nonce_mismatch');
    expectInvalid(
      await fx.verify(good, { client: { clientData: Buffer.from('another challenge') } }),
      'nonce_mismatch',
    );
    expectInvalid(await fx.verify(await fx.mint({ omitNonce: true })), 'nonce_missing');
  });

  it('the explicit client-data hash seam must be 32 bytes', async () => {
    expectInvalid(
      await fx.verify(good, { client: { clientDataHash: new Uint8Array(31) } }),
      'client_data_malformed',
    );
  });

  it('a key id other than the certified key is refused', async () => {
    expectInvalid(await fx.verify(good, { keyId: randomBytes(32) }), 'key_id_mismatch');
    const other = await fx.mint({ credentialId: randomBytes(32) });
    expectInvalid(await fx.verify(other), 'credential_id_mismatch');
  });

  it('a counter other than 0 and an unknown aaguid are refused', async () => {
    expectInvalid(await fx.verify(await fx.mint({ counter: 1 })), 'counter_not_zero');
    expectInvalid(await fx.verify(await fx.mint({ aaguid: randomBytes(16) })), 'aaguid_unknown');
  });

  it('authData without a usable credential is malformed', async () => {
    const empty = await fx.mint({ credentialId: new Uint8Array(0) });
    expectInvalid(await fx.verify(empty), 'auth_data_malformed');
  });

  it('wrong fmt, wrong shape, truncation, trailing bytes and oversize are refused', async () => {
    expectInvalid(await fx.verify(await fx.mint({ fmt: 'packed' })), 'fmt_unsupported');
    const bytes = good.attestationObject;
    const as = (attestationObject: Uint8Array) => fx.verify({ ...good, attestationObject });
    expectInvalid(await as(bytes.subarray(0, bytes.length - 1)), 'cbor_malformed');
    expectInvalid(await as(Buffer.concat([bytes, Uint8Array.of(0)])), 'cbor_malformed');
    expectInvalid(await as(new Uint8Array(MAX_ATTESTATION_BYTES + 1)), 'too_large');
    expectInvalid(
      await as(cbor.encode(new Map([['fmt', 'apple-appattest']]))),
      'attestation_malformed',
    );
  });

  it('CBOR the App Attest shapes never use is refused before decoding', async () => {
    const as = (attestationObject: Uint8Array) => fx.verify({ ...good, attestationObject });
    // A map claiming 2^32-1 entries in 6 bytes: never allocated.
    expectInvalid(await as(Uint8Array.of(0xba, 0xff, 0xff, 0xff, 0xff, 0x00)), 'cbor_malformed');
    // A tag (cbor-x would build a record or a typed array from some).
    expectInvalid(await as(Uint8Array.of(0xd8, 0x40, 0x41, 0x00)), 'cbor_malformed');
    // Indefinite-length map, floats, nesting deeper than the shape needs.
    expectInvalid(await as(Uint8Array.of(0xbf, 0xff)), 'cbor_malformed');
    expectInvalid(await as(Uint8Array.of(0xf9, 0x3c, 0x00)), 'cbor_malformed');
    expectInvalid(await as(Uint8Array.of(0x81, 0x81, 0x81, 0x81, 0x00)), 'cbor_malformed');
    // Duplicate keys: the last would silently win in a Map.
    const duplicate = Buffer.concat([
      Uint8Array.of(0xa2),
      cbor.encode('fmt'),
      cbor.encode('packed'),
      cbor.encode('fmt'),
      cbor.encode('apple-appattest'),
    ]);
    expectInvalid(await as(duplicate), 'cbor_malformed');
  });
});

describe('App Attest assertions minted by the testkit CA', () => {
  const binding = { htm: 'POST', htu: 'https://gateway.example/v1/chat/completions' };
  const body = '{"model":"chat","messages":[]}';
  const clientData = rampartClientData({ challenge: 'challenge-1', ...binding, body });
  const expected: RampartClientData = {
    challenge: 'challenge-1',
    ...binding,
    bodySha256: createHash('sha256').update(body).digest('base64url'),
  };

  function request(overrides: Partial<AssertionRequest> = {}): AssertionRequest {
    return {
      assertion: fx.ca.assert(good, { ...APP, clientData, counter: 5 }),
      clientData: { kind: 'rampart', bytes: clientData, expected: expectedClientData() },
      app: APP,
      key: { publicKey: good.publicKey, counter: 4 },
      ...overrides,
    };
  }

  function expectedClientData(): RampartClientData {
    return expected;
  }

  it('a fresh assertion bound to this request is valid and returns its counter', () => {
    expect(verifyAssertion(request())).toEqual({ outcome: 'valid', value: { counter: 5 } });
    const jwk = good.publicKey.export({ format: 'jwk' });
    expect(verifyAssertion(request({ key: { publicKey: jwk, counter: 4 } })).outcome).toBe('valid');
  });

  it('a counter not above the stored one is a replay', () => {
    expectInvalid(
      verifyAssertion(request({ key: { publicKey: good.publicKey, counter: 5 } })),
      'counter_replay',
    );
    expectInvalid(
      verifyAssertion(request({ key: { publicKey: good.publicKey, counter: 9 } })),
      'counter_replay',
    );
  });

  it('another key, another app, or other signed client data are refused', () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = fx.ca.assert(good, {
      ...APP,
      clientData,
      counter: 5,
      signingKey: stranger.privateKey,
    });
    expectInvalid(verifyAssertion(request({ assertion: forged })), 'signature_invalid');
    const otherApp = fx.ca.assert(good, {
      ...APP,
      bundleId: 'com.example.evil',
      clientData,
      counter: 5,
    });
    expectInvalid(verifyAssertion(request({ assertion: otherApp })), 'rp_id_mismatch');
    const swappedData = fx.ca.assert(good, {
      ...APP,
      clientData,
      counter: 5,
      signedClientData: rampartClientData({ challenge: 'challenge-1', ...binding, body: 'other' }),
    });
    expectInvalid(verifyAssertion(request({ assertion: swappedData })), 'signature_invalid');
  });

  it('client data for another challenge, route or body is refused', () => {
    const mismatch = (member: keyof RampartClientData, value: string) =>
      verifyAssertion(
        request({
          clientData: {
            kind: 'rampart',
            bytes: clientData,
            expected: { ...expectedClientData(), [member]: value },
          },
        }),
      );
    expectInvalid(mismatch('challenge', 'challenge-2'), 'challenge_mismatch');
    expectInvalid(mismatch('htu', 'https://gateway.example/v1/embeddings'), 'binding_mismatch');
    expectInvalid(mismatch('htm', 'GET'), 'binding_mismatch');
    expectInvalid(mismatch('bodySha256', 'A'.repeat(43)), 'binding_mismatch');
  });

  it('client data that is not the Rampart JSON shape is malformed, and bounded', () => {
    for (const text of [
      'not json',
      '[]',
      '{"challenge":"challenge-1"}',
      '{"challenge":1,"htm":"POST","htu":"x","bodySha256":"y"}',
    ]) {
      const bytes = Buffer.from(text);
      const assertion = fx.ca.assert(good, { ...APP, clientData: bytes, counter: 5 });
      expectInvalid(
        verifyAssertion(
          request({
            assertion,
            clientData: { kind: 'rampart', bytes, expected: expectedClientData() },
          }),
        ),
        'client_data_malformed',
      );
    }
    const huge = Buffer.alloc(4096, 0x20);
    const assertion = fx.ca.assert(good, { ...APP, clientData: huge, counter: 5 });
    expectInvalid(
      verifyAssertion(
        request({
          assertion,
          clientData: { kind: 'rampart', bytes: huge, expected: expectedClientData() },
        }),
      ),
      'too_large',
    );
  });

  it('assertion CBOR of the wrong shape or size, and odd authenticator data, are refused', () => {
    const as = (assertion: Uint8Array) => verifyAssertion(request({ assertion }));
    const valid = request().assertion;
    expectInvalid(as(valid.subarray(0, valid.length - 3)), 'cbor_malformed');
    expectInvalid(as(new Uint8Array(600)), 'too_large');
    expectInvalid(
      as(cbor.encode(new Map([['signature', randomBytes(70)]]))),
      'assertion_malformed',
    );
    expectInvalid(
      as(
        cbor.encode(
          new Map([
            ['signature', randomBytes(100)],
            ['authenticatorData', randomBytes(37)],
          ]),
        ),
      ),
      'assertion_malformed',
    );
    expectInvalid(
      as(
        cbor.encode(
          new Map([
            ['signature', randomBytes(70)],
            ['authenticatorData', randomBytes(38)],
          ]),
        ),
      ),
      'auth_data_malformed',
    );
  });

  it('a stored key that is not an EC P-256 public key is unusable', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expectInvalid(
      verifyAssertion(request({ key: { publicKey: p384.publicKey, counter: 4 } })),
      'key_unknown',
    );
    expectInvalid(
      verifyAssertion(request({ key: { publicKey: { kty: 'EC' }, counter: 4 } })),
      'key_unknown',
    );
  });
});

describe('every refusal reason', () => {
  it('is reached by a minted object above (counter_replay in the repository too)', () => {
    expect([...APP_ATTEST_REASONS].filter((reason) => !reached.has(reason))).toEqual([]);
  });
});

function isBytes(value: Uint8Array | undefined): value is Uint8Array {
  return value !== undefined;
}
