import { readdirSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { decode } from 'cbor-x';
import { parseAllDocuments } from 'yaml';

/** ../shared/data/attestation/app-attest, beside the repository root (never copied in). */
export const VECTORS = new URL(
  '../../../../../../shared/data/attestation/app-attest/',
  import.meta.url,
);

export interface RealAttestation {
  readonly name: string;
  readonly attestationObject: Uint8Array;
  readonly keyId: Uint8Array;
  readonly clientData: Uint8Array;
  /** The hash the record gives for its client data, when it gives one. */
  readonly clientDataHash: Uint8Array | undefined;
  readonly teamId: string;
  readonly bundleId: string;
  readonly environment: 'development' | 'production';
  /** The instant the record was made, epoch ms. */
  readonly at: number;
  readonly publicKeyPem: string | undefined;
}

export interface RealAssertion {
  readonly name: string;
  readonly assertion: Uint8Array;
  readonly challenge: Uint8Array;
  readonly clientData: Uint8Array;
  readonly clientDataHash: Uint8Array;
  readonly counter: number;
  readonly teamId: string;
  readonly bundleId: string;
  readonly publicKeyPem: string;
  readonly at: number;
}

type YamlRecord = Record<string, unknown>;

function text(record: YamlRecord, key: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`vector field ${key} missing`);
  return value;
}

const b64 = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'base64'));

function veehaitchRecords(): Array<{ file: string; record: YamlRecord }> {
  const folder = new URL('veehaitch/', VECTORS);
  return readdirSync(folder)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(new URL(file, folder), 'utf8'))
        .map((document) => document.toJS() as YamlRecord | null)
        .filter((record): record is YamlRecord => record !== null)
        .map((record) => ({ file, record })),
    );
}

/**
 * The seven iOS 14 attestations (clientData hashed with SHA-256, the record's own hash given
 * too) and the two node-app-attest ones. The latter give only a challenge: the data shows the
 * client data is the challenge base64-decoded (SHA-256 of those bytes is what the nonce
 * covers), and, having no timestamp, they are pinned inside their credential certificate's
 * validity window.
 */
export function realAttestations(): RealAttestation[] {
  const ios = veehaitchRecords()
    .filter(({ record }) => record['type'] === 'attestation')
    .map(({ file, record }) => ({
      name: `veehaitch/${file}`,
      attestationObject: b64(text(record, 'attestationBase64')),
      keyId: b64(text(record, 'keyIdBase64')),
      clientData: b64(text(record, 'clientDataBase64')),
      clientDataHash: b64(text(record, 'clientDataHashSha256Base64')),
      teamId: text(record, 'teamIdentifier'),
      bundleId: text(record, 'bundleIdentifier'),
      environment: text(record, 'environment') as 'development' | 'production',
      at: Date.parse(text(record, 'timestamp')),
      publicKeyPem: text(record, 'publicKey'),
    }));
  const node = (['development', 'production'] as const).map((environment) => {
    const file = `node-app-attest/attestation-${environment}.json`;
    const record = JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8')) as YamlRecord;
    const attestationObject = b64(text(record, 'attestation'));
    return {
      name: file,
      attestationObject,
      keyId: b64(text(record, 'keyId')),
      clientData: b64(text(record, 'challenge')),
      clientDataHash: undefined,
      teamId: 'V8H6LQ9448',
      bundleId: 'io.uebelacker.AppAttestExample',
      environment,
      at: leafNotBefore(attestationObject) + 60 * 60 * 1000,
      publicKeyPem: undefined,
    };
  });
  return [...ios, ...node];
}

export function realAssertions(): RealAssertion[] {
  return veehaitchRecords()
    .filter(({ record }) => record['type'] === 'assertion')
    .map(({ file, record }) => ({
      name: `veehaitch/${file}`,
      assertion: b64(text(record, 'assertionBase64')),
      challenge: b64(text(record, 'challengeBase64')),
      clientData: b64(text(record, 'clientDataBase64')),
      clientDataHash: b64(text(record, 'clientDataHashSha256Base64')),
      counter: Number(record['counter']),
      teamId: text(record, 'teamIdentifier'),
      bundleId: text(record, 'bundleIdentifier'),
      publicKeyPem: text(record, 'publicKey'),
      at: Date.parse(text(record, 'timestamp')),
    }));
}

/** notBefore of the credential certificate, read with node:crypto (not the code under test). */
function leafNotBefore(attestationObject: Uint8Array): number {
  const decoded = decode(attestationObject) as { attStmt: { x5c: Uint8Array[] } };
  const leaf = decoded.attStmt.x5c[0];
  if (leaf === undefined) throw new Error('vector without a credential certificate');
  return Date.parse(new X509Certificate(leaf).validFrom);
}

export function rootPemFromData(): string {
  return readFileSync(new URL('Apple_App_Attestation_Root_CA.pem', VECTORS), 'utf8');
}
