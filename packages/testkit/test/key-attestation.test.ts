import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttestationApplicationId, KeyDescription } from '@peculiar/asn1-android';
import { describe, expect, it } from 'vitest';
import {
  createMockKeyAttestationCa,
  DEFAULT_PACKAGE,
  DEFAULT_SIGNING_DIGEST,
  encodeKeyDescription,
} from '../src/index.js';

const VALIDITY = {
  notBefore: new Date(Date.UTC(2026, 0, 1)),
  notAfter: new Date(Date.UTC(2030, 0, 1)),
};

describe('the mock key attestation CA', () => {
  it('mints leaf → intermediate → root, each certificate signed by the next, the root by itself', async () => {
    const ca = await createMockKeyAttestationCa({ validity: VALIDITY });
    const { chain } = await ca.mint();
    const certificates = chain.map((der) => new X509Certificate(der));
    expect(certificates).toHaveLength(3);
    const [leaf, intermediate, root] = certificates;
    if (leaf === undefined || intermediate === undefined || root === undefined)
      throw new Error('short chain');
    expect(leaf.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(Buffer.from(root.raw).equals(Buffer.from(ca.rootDer))).toBe(true);
    expect([leaf.ca, intermediate.ca, root.ca]).toEqual([false, true, true]);
  });

  it("signs the other-root knob with a root that is not the CA's", async () => {
    const ca = await createMockKeyAttestationCa({ validity: VALIDITY });
    const { chain } = await ca.mint({ signedBy: 'other-root' });
    const intermediate = new X509Certificate(chain[1] ?? new Uint8Array());
    expect(intermediate.verify(new X509Certificate(ca.rootDer).publicKey)).toBe(false);
  });

  it('writes a KeyDescription that asn1-android reads back field for field', () => {
    const der = encodeKeyDescription({
      challenge: new Uint8Array([1, 2, 3]),
      attestationSecurityLevel: 'strongbox',
      bootState: 'self-signed',
      deviceLocked: false,
    });
    const description = AsnConvert.parse(der, KeyDescription);
    expect(new Uint8Array(description.attestationChallenge.buffer)).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(description.attestationSecurityLevel).toBe(2);
    expect(description.keymasterSecurityLevel).toBe(2);
    expect(description.teeEnforced.rootOfTrust).toMatchObject({
      verifiedBootState: 1,
      deviceLocked: false,
    });
    const applicationId = description.softwareEnforced.attestationApplicationId;
    if (applicationId === undefined) throw new Error('no application id');
    const parsed = AsnConvert.parse(applicationId.buffer, AttestationApplicationId);
    expect(parsed.packageInfos[0]?.version).toBe(DEFAULT_PACKAGE.version);
    // asn1-android hands the digests (SET OF OCTET STRING) out as bare ArrayBuffers.
    const digest: unknown = parsed.signatureDigests[0];
    expect(digest instanceof ArrayBuffer && new Uint8Array(digest)).toEqual(DEFAULT_SIGNING_DIGEST);
  });

  it('leaves the extension out, or puts it on the intermediate too, when asked', async () => {
    const ca = await createMockKeyAttestationCa({ validity: VALIDITY });
    // The DER of the OID 1.3.6.1.4.1.11129.2.1.17 (tag, length, value).
    const oid = Buffer.from([
      0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11,
    ]);
    const hasExtension = (der: Uint8Array | undefined): boolean =>
      Buffer.from(der ?? []).includes(oid);
    expect(hasExtension((await ca.mint()).chain[0])).toBe(true);
    expect(hasExtension((await ca.mint({ omitExtension: true })).chain[0])).toBe(false);
    expect(hasExtension((await ca.mint({ extensionOnIntermediate: true })).chain[1])).toBe(true);
  });
});
