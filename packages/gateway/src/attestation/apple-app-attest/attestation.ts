import { createHash, timingSafeEqual, type JsonWebKey } from 'node:crypto';
import type { X509Certificate } from './x509.js';
import { calculateJwkThumbprint } from 'jose';
import { invalid, valid, type Verdict } from '@rampart/core';
import { parseAttestationAuthData } from './auth-data.js';
import { asBytes, decodeBoundedCbor, exactTextMap } from './cbor.js';
import { parseRoots, verifyChain } from './chain.js';
import type { AppAttestReason } from './reasons.js';
import { APPLE_APP_ATTESTATION_ROOT_CA_PEM } from './root.js';

export type AppAttestEnvironment = 'development' | 'production';

/** The app as App Attest names it: its App ID is `<teamId>.<bundleId>`. */
export interface AppIdentity {
  /** Apple Developer team id, e.g. `6MURL8TA57`. */
  readonly teamId: string;
  readonly bundleId: string;
}

/**
 * The client data the app hashed. Normally the bytes the app passed to `attestKey` /
 * `generateAssertion` after hashing them with SHA-256 (`clientData`); `clientDataHash` is the
 * seam for callers that hold the 32 bytes directly (Apple's documentation sample passes the raw
 * challenge there).
 */
export type ClientDataInput =
  { readonly clientData: Uint8Array } | { readonly clientDataHash: Uint8Array };

export interface AttestationRequest {
  /** The CBOR attestation object from `DCAppAttestService.attestKey`, base64-decoded. */
  readonly attestationObject: Uint8Array;
  /** The key id the app reports (`keyIdentifier`, base64-decoded: 32 bytes). */
  readonly keyId: Uint8Array;
  readonly client: ClientDataInput;
  readonly app: AppIdentity;
  /** Environments the policy accepts; production apps should list only `production`. */
  readonly allowedEnvironments: readonly AppAttestEnvironment[];
  /** The clock for certificate validity, epoch milliseconds. */
  readonly now: () => number;
  /** Trust anchors; default: the pinned Apple App Attestation Root CA. */
  readonly roots?: readonly X509Certificate[];
}

/** What the attest stage persists for an attested key (see repository.ts). */
export interface AppAttestKey {
  /** The key id, base64url without padding (SHA-256 of the uncompressed EC point). */
  readonly keyId: string;
  /** The P-256 public key as a public JWK (`kty`, `crv`, `x`, `y`). */
  readonly publicKeyJwk: JsonWebKey;
  /** The same key as DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
  /** RFC 7638 SHA-256 thumbprint of `publicKeyJwk`, base64url. */
  readonly thumbprint: string;
  readonly environment: AppAttestEnvironment;
  /** Apple's receipt (PKCS #7), for a later fraud-metric exchange with Apple. */
  readonly receipt: Uint8Array;
  readonly counter: 0;
}

/** Real attestation objects are about 5.5 KB (two certificates and a receipt). */
export const MAX_ATTESTATION_BYTES = 16 * 1024;
const ATTESTATION_LIMITS = { maxBytes: MAX_ATTESTATION_BYTES, maxDepth: 3, maxItems: 16 };
const NONCE_OID = '1.2.840.113635.100.8.2';
const AAGUIDS: ReadonlyMap<string, AppAttestEnvironment> = new Map([
  [Buffer.from('appattestdevelop').toString('hex'), 'development'],
  [Buffer.concat([Buffer.from('appattest'), Buffer.alloc(7)]).toString('hex'), 'production'],
]);

let pinnedRoots: readonly X509Certificate[] | undefined;
function defaultRoots(): readonly X509Certificate[] {
  pinnedRoots ??= parseRoots([APPLE_APP_ATTESTATION_ROOT_CA_PEM]);
  return pinnedRoots;
}

type Result = Verdict<AppAttestKey, AppAttestReason>;

/**
 * Verifies an App Attest attestation object offline (Apple, "Validating apps that connect to
 * your server", steps 1–9): the chain to the pinned root at `now()`, the nonce extension
 * (SHA-256(authData ‖ clientDataHash)), key id = SHA-256 of the credential key's uncompressed
 * point, rpIdHash = SHA-256("<teamId>.<bundleId>"), counter 0, the aaguid's environment against
 * policy, and credentialId = key id. Never throws: malformed input is `invalid`.
 */
export async function verifyAttestation(request: AttestationRequest): Promise<Result> {
  const decoded = decodeBoundedCbor(request.attestationObject, ATTESTATION_LIMITS);
  if (!decoded.ok) return invalid(decoded.reason, decoded.detail);
  const top = exactTextMap(decoded.value, ['fmt', 'attStmt', 'authData']);
  if (top === undefined) return invalid('attestation_malformed', 'expected fmt, attStmt, authData');
  if (top.get('fmt') !== 'apple-appattest') return invalid('fmt_unsupported');
  const statement = exactTextMap(top.get('attStmt'), ['x5c', 'receipt']);
  const x5c = statement?.get('x5c');
  const receipt = asBytes(statement?.get('receipt'));
  const authDataBytes = asBytes(top.get('authData'));
  if (statement === undefined || !Array.isArray(x5c) || receipt === undefined) {
    return invalid('attestation_malformed', 'attStmt must hold x5c and receipt');
  }
  const certificates = x5c.map(asBytes);
  if (authDataBytes === undefined || !certificates.every((c) => c !== undefined)) {
    return invalid('attestation_malformed', 'x5c and authData must be byte strings');
  }
  const authData = parseAttestationAuthData(authDataBytes);
  if (authData === undefined) return invalid('auth_data_malformed');

  const chain = verifyChain(certificates, request.roots ?? defaultRoots(), new Date(request.now()));
  if (!chain.ok) return invalid(chain.reason, chain.detail);

  const clientDataHash = clientDataHashOf(request.client);
  if (clientDataHash === undefined)
    return invalid('client_data_malformed', 'hash must be 32 bytes');
  const certificateNonce = nonceOf(chain.leaf);
  if (certificateNonce === undefined) return invalid('nonce_missing');
  if (!same(certificateNonce, sha256(authDataBytes, clientDataHash)))
    return invalid('nonce_mismatch');

  const publicKeyJwk = chain.leafKey.export({ format: 'jwk' });
  const coordinates = p256Coordinates(publicKeyJwk);
  if (coordinates === undefined)
    return invalid('certificate_malformed', 'credential key unreadable');
  const keyId = sha256(coordinates.point);
  if (!same(keyId, request.keyId)) return invalid('key_id_mismatch');
  const appId = `${request.app.teamId}.${request.app.bundleId}`;
  if (!same(authData.rpIdHash, sha256(Buffer.from(appId, 'utf8'))))
    return invalid('rp_id_mismatch');
  if (authData.counter !== 0) return invalid('counter_not_zero');
  const environment = AAGUIDS.get(Buffer.from(authData.aaguid).toString('hex'));
  if (environment === undefined) return invalid('aaguid_unknown');
  if (!request.allowedEnvironments.includes(environment)) {
    return invalid('environment_forbidden', environment);
  }
  if (!same(authData.credentialId, keyId)) return invalid('credential_id_mismatch');

  const jwk = { kty: 'EC', crv: 'P-256', x: coordinates.x, y: coordinates.y };
  return valid({
    keyId: keyId.toString('base64url'),
    publicKeyJwk: jwk,
    publicKeySpki: new Uint8Array(chain.leafKey.export({ format: 'der', type: 'spki' })),
    thumbprint: await calculateJwkThumbprint(jwk),
    environment,
    receipt: new Uint8Array(receipt),
    counter: 0,
  });
}

export function clientDataHashOf(client: ClientDataInput): Uint8Array | undefined {
  if ('clientData' in client) return sha256(client.clientData);
  return client.clientDataHash.length === 32 ? client.clientDataHash : undefined;
}

/**
 * The nonce in the credential certificate: extension 1.2.840.113635.100.8.2, whose value is
 * DER `SEQUENCE { [1] EXPLICIT OCTET STRING (32) }` — exactly 38 bytes, checked byte by byte.
 */
function nonceOf(leaf: X509Certificate): Uint8Array | undefined {
  const extension = leaf.extensions.find((e) => e.type === NONCE_OID);
  if (extension === undefined) return undefined;
  const value = new Uint8Array(extension.value);
  const prefix = [0x30, 0x24, 0xa1, 0x22, 0x04, 0x20];
  if (value.length !== 38 || prefix.some((byte, i) => value[i] !== byte)) return undefined;
  return value.subarray(6);
}

/** The JWK's coordinates and the uncompressed point 0x04 ‖ x ‖ y (65 bytes) they make. */
function p256Coordinates(jwk: JsonWebKey): { x: string; y: string; point: Buffer } | undefined {
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return undefined;
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  if (x.length !== 32 || y.length !== 32) return undefined;
  return { x: jwk.x, y: jwk.y, point: Buffer.concat([Uint8Array.of(0x04), x, y]) };
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Constant-time equality that is false (not a throw) on different lengths. */
export function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
