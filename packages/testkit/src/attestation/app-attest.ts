// tsyringe (inside @peculiar/x509) refuses to load without a Reflect metadata polyfill; this
// import runs first.
import 'reflect-metadata';
import { createHash, KeyObject, randomBytes, sign, webcrypto } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import {
  BasicConstraintsExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { Encoder } from 'cbor-x';
import { encodeCbor } from '../cbor.js';

/**
 * A mock Apple App Attest CA for tests and benches: a root and an intermediate (ECDSA P-384,
 * like Apple's) that mint attestation objects (format `apple-appattest`) and assertions exactly
 * as Apple's documentation describes them, for any team id, bundle id, environment, client data
 * and counter — plus one knob per way an attacker or a broken client gets them wrong. The
 * receipt is random bytes: the verifier stores it without reading it.
 *
 * Nothing here depends on today's date: the CA is valid 2020-01-01 to 2045-01-01 and each
 * credential certificate is valid around the `now` the test passes.
 */
export type AppAttestEnvironment = 'development' | 'production';

export interface AppAttestMintOptions {
  readonly teamId: string;
  readonly bundleId: string;
  readonly environment: AppAttestEnvironment;
  /** The client data the app attests (hashed with SHA-256 into the nonce); usually the challenge. */
  readonly clientData: Uint8Array;
  /** The test's frozen clock: the credential certificate is valid from a day before to 3 days after. */
  readonly now: Date;
  // --- knobs, one per failure ---
  /** Attestation format (default `apple-appattest`). */
  readonly fmt?: string;
  /** Chain to a different root with the same names (signature check must fail). */
  readonly foreignRoot?: boolean;
  /** The credential certificate's validity window instead of the default around `now`. */
  readonly leafValidity?: { readonly notBefore: Date; readonly notAfter: Date };
  /** Put this bundle id (not `bundleId`) into the rpIdHash: a swapped app. */
  readonly rpBundleId?: string;
  /** Client data hashed into the certificate's nonce instead of `clientData`. */
  readonly nonceClientData?: Uint8Array;
  /** Leave the nonce extension out of the credential certificate. */
  readonly omitNonce?: boolean;
  /** The counter in authData (Apple's is 0). */
  readonly counter?: number;
  /** The aaguid instead of the environment's. */
  readonly aaguid?: Uint8Array;
  /** The credential id instead of the key id. */
  readonly credentialId?: Uint8Array;
  /** Rewrite the x5c array (drop the intermediate, add certificates, …). */
  readonly x5c?: (chain: readonly Uint8Array[]) => readonly Uint8Array[];
}

export interface MintedAppAttestKey {
  /** SHA-256 of the uncompressed public point: what `DCAppAttestService` reports. */
  readonly keyId: Uint8Array;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface MintedAttestation extends MintedAppAttestKey {
  readonly attestationObject: Uint8Array;
}

export interface AppAttestAssertionOptions {
  readonly teamId: string;
  readonly bundleId: string;
  readonly clientData: Uint8Array;
  readonly counter: number;
  /** Sign with this key instead of the attested one. */
  readonly signingKey?: KeyObject;
  /** Sign these client data instead of `clientData` (the request carries the other). */
  readonly signedClientData?: Uint8Array;
}

export interface MockAppAttestCa {
  /** The root to pin in tests (PEM). */
  readonly rootPem: string;
  readonly intermediatePem: string;
  attest(options: AppAttestMintOptions): Promise<MintedAttestation>;
  assert(key: MintedAppAttestKey, options: AppAttestAssertionOptions): Uint8Array;
}

export const APP_ATTEST_NONCE_OID = '1.2.840.113635.100.8.2';
const AAGUID: Record<AppAttestEnvironment, Uint8Array> = {
  development: Buffer.from('appattestdevelop'),
  production: Buffer.concat([Buffer.from('appattest'), Buffer.alloc(7)]),
};
const ROOT_NAME = 'CN=Rampart Test App Attestation Root CA, O=Rampart testkit';
const INTERMEDIATE_NAME = 'CN=Rampart Test App Attestation CA 1, O=Rampart testkit';
const CA_NOT_BEFORE = new Date('2020-01-01T00:00:00Z');
const CA_NOT_AFTER = new Date('2045-01-01T00:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const P384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false });

interface Ca {
  readonly root: X509Certificate;
  readonly intermediate: X509Certificate;
  readonly intermediateKey: webcrypto.CryptoKey;
}

/** Creates a fresh CA (new keys every call). */
export async function createMockAppAttestCa(): Promise<MockAppAttestCa> {
  const ca = await createCa();
  let foreign: Promise<Ca> | undefined;
  return {
    rootPem: ca.root.toString('pem'),
    intermediatePem: ca.intermediate.toString('pem'),
    async attest(options) {
      const signer = options.foreignRoot === true ? await (foreign ??= createCa()) : ca;
      return mintAttestation(signer, options);
    },
    assert: mintAssertion,
  };
}

async function createCa(): Promise<Ca> {
  const rootKeys = await generate(P384);
  const root = await X509CertificateGenerator.createSelfSigned({
    name: ROOT_NAME,
    keys: rootKeys,
    notBefore: CA_NOT_BEFORE,
    notAfter: CA_NOT_AFTER,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
    ],
  });
  const intermediateKeys = await generate(P384);
  const intermediate = await X509CertificateGenerator.create({
    subject: INTERMEDIATE_NAME,
    issuer: root.subject,
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    notBefore: CA_NOT_BEFORE,
    notAfter: CA_NOT_AFTER,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
    ],
  });
  return { root, intermediate, intermediateKey: intermediateKeys.privateKey };
}

async function mintAttestation(ca: Ca, options: AppAttestMintOptions): Promise<MintedAttestation> {
  const keys = await generate(P256);
  const publicKey = KeyObject.from(keys.publicKey);
  const privateKey = KeyObject.from(keys.privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  const keyId = sha256(Uint8Array.of(0x04), x, y);

  const authData = Buffer.concat([
    sha256(Buffer.from(`${options.teamId}.${options.rpBundleId ?? options.bundleId}`)),
    Uint8Array.of(0x40), // AT: attested credential data follows
    uint32(options.counter ?? 0),
    options.aaguid ?? AAGUID[options.environment],
    uint16((options.credentialId ?? keyId).length),
    options.credentialId ?? keyId,
    encodeCbor(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, x],
        [-3, y],
      ]),
    ),
  ]);
  const nonce = sha256(authData, sha256(options.nonceClientData ?? options.clientData));
  const extensions: Extension[] = [new BasicConstraintsExtension(false, undefined, true)];
  if (options.omitNonce !== true) {
    // SEQUENCE { [1] EXPLICIT OCTET STRING (32) }, as Apple encodes it.
    const value = Buffer.concat([Uint8Array.of(0x30, 0x24, 0xa1, 0x22, 0x04, 0x20), nonce]);
    extensions.push(new Extension(APP_ATTEST_NONCE_OID, false, value));
  }
  const leaf = await X509CertificateGenerator.create({
    serialNumber: randomBytes(8)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: `CN=${keyId.toString('hex')}, OU=AAA Certification, O=Rampart testkit`,
    issuer: ca.intermediate.subject,
    publicKey: keys.publicKey,
    signingKey: ca.intermediateKey,
    notBefore: options.leafValidity?.notBefore ?? new Date(options.now.getTime() - DAY),
    notAfter: options.leafValidity?.notAfter ?? new Date(options.now.getTime() + 3 * DAY),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions,
  });
  const chain = [new Uint8Array(leaf.rawData), new Uint8Array(ca.intermediate.rawData)];
  const x5c = (options.x5c?.(chain) ?? chain).map((der) => Buffer.from(der));
  const attestationObject = cbor.encode(
    new Map<string, unknown>([
      ['fmt', options.fmt ?? 'apple-appattest'],
      [
        'attStmt',
        new Map<string, unknown>([
          ['x5c', x5c],
          ['receipt', randomBytes(64)],
        ]),
      ],
      ['authData', authData],
    ]),
  );
  return { attestationObject: new Uint8Array(attestationObject), keyId, privateKey, publicKey };
}

/**
 * An assertion as `generateAssertion` makes it: CBOR `{signature, authenticatorData}` where
 * authenticatorData = SHA-256(appId) ‖ flags ‖ counter and the signature is ECDSA P-256
 * (DER, SHA-256) over SHA-256(authenticatorData ‖ SHA-256(clientData)).
 */
function mintAssertion(key: MintedAppAttestKey, options: AppAttestAssertionOptions): Uint8Array {
  const authenticatorData = Buffer.concat([
    sha256(Buffer.from(`${options.teamId}.${options.bundleId}`)),
    // Devices set AT (0x40) in assertions too, though no credential data follows.
    Uint8Array.of(0x40),
    uint32(options.counter),
  ]);
  const nonce = sha256(authenticatorData, sha256(options.signedClientData ?? options.clientData));
  const signature = sign('sha256', nonce, {
    key: options.signingKey ?? key.privateKey,
    dsaEncoding: 'der',
  });
  return new Uint8Array(
    cbor.encode(
      new Map<string, unknown>([
        ['signature', signature],
        ['authenticatorData', authenticatorData],
      ]),
    ),
  );
}

/**
 * The client data a Rampart app signs with an assertion (the gateway's
 * attestation/apple-app-attest/client-data.ts documents the shape): UTF-8 JSON with the
 * challenge, the request's method and URL, and the base64url SHA-256 of its body.
 */
export function rampartClientData(request: {
  readonly challenge: string;
  readonly htm: string;
  readonly htu: string;
  readonly body: Uint8Array | string;
}): Uint8Array {
  const bodySha256 = createHash('sha256').update(request.body).digest('base64url');
  return Buffer.from(
    JSON.stringify({
      challenge: request.challenge,
      htm: request.htm,
      htu: request.htu,
      bodySha256,
    }),
  );
}

async function generate(algorithm: webcrypto.EcKeyGenParams): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}
