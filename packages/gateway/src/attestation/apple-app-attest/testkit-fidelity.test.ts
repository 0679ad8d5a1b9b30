import { X509Certificate as OpenSslCertificate } from 'node:crypto';
import { Decoder } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { mintFixture, APP } from './minted.test-helpers.js';
import { realAssertions, realAttestations } from './vectors.test-helpers.js';
import { X509Certificate } from './x509.js';

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const NONCE_OID = '1.2.840.113635.100.8.2';

/** The layout of an attestation object, without its values: what the testkit must reproduce. */
function attestationShape(bytes: Uint8Array) {
  const top = decoder.decode(bytes) as Map<string, unknown>;
  const statement = top.get('attStmt') as Map<string, unknown>;
  const x5c = statement.get('x5c') as Uint8Array[];
  const authData = top.get('authData') as Uint8Array;
  const leaf = new X509Certificate(x5c[0] ?? new Uint8Array());
  const nonce = leaf.extensions.find((e) => e.type === NONCE_OID);
  return {
    keys: [...top.keys()],
    statementKeys: [...statement.keys()],
    certificates: x5c.length,
    leafCurve: new OpenSslCertificate(x5c[0] ?? new Uint8Array()).publicKey.asymmetricKeyDetails
      ?.namedCurve,
    authDataLength: authData.length,
    flags: authData[32],
    credentialIdLength: ((authData[53] ?? 0) << 8) | (authData[54] ?? 0),
    nonceHeader: Buffer.from(nonce?.value ?? new ArrayBuffer(0))
      .subarray(0, 6)
      .toString('hex'),
  };
}

function assertionShape(bytes: Uint8Array) {
  const map = decoder.decode(bytes) as Map<string, Uint8Array>;
  return {
    keys: [...map.keys()],
    authDataLength: map.get('authenticatorData')?.length,
    flags: map.get('authenticatorData')?.[32],
  };
}

describe('the testkit App Attest CA mints what devices send', () => {
  it('attestation objects have the layout of the real iOS 14 ones', async () => {
    const fx = await mintFixture();
    const real = realAttestations()[0];
    if (real === undefined) throw new Error('no vectors');
    const minted = await fx.mint({ environment: 'development' });
    expect(attestationShape(minted.attestationObject)).toEqual(
      attestationShape(real.attestationObject),
    );
  });

  it('assertions have the layout of the real iOS 14 ones', async () => {
    const fx = await mintFixture();
    const real = realAssertions()[0];
    if (real === undefined) throw new Error('no vectors');
    const key = await fx.mint();
    const minted = fx.ca.assert(key, { ...APP, clientData: Buffer.from('x'), counter: 1 });
    expect(assertionShape(minted)).toEqual(assertionShape(real.assertion));
  });
});
