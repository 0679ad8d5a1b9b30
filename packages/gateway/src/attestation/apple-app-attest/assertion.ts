import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { invalid, valid, type Verdict } from '@rampart/core';
import type { AppIdentity } from './attestation.js';
import { same, sha256 } from './attestation.js';
import { parseAssertionAuthData } from './auth-data.js';
import { asBytes, decodeBoundedCbor, exactTextMap } from './cbor.js';
import { checkClientData, type AssertionClientData } from './client-data.js';
import type { AppAttestReason } from './reasons.js';

/** The attested key as stored (repository.ts): its public key and last accepted counter. */
export interface StoredAppAttestKey {
  /** A KeyObject (cache it per key id on hot paths) or the stored public JWK. */
  readonly publicKey: KeyObject | JsonWebKey;
  readonly counter: number;
}

export interface AssertionRequest {
  /** The CBOR assertion from `DCAppAttestService.generateAssertion`, base64-decoded. */
  readonly assertion: Uint8Array;
  readonly clientData: AssertionClientData;
  readonly app: AppIdentity;
  readonly key: StoredAppAttestKey;
}

/** The counter to persist with `AppAttestKeyRepository.advanceCounter` (which settles races). */
export interface AcceptedAssertion {
  readonly counter: number;
}

/** Real assertions are about 120 bytes: a DER signature and 37 bytes of authenticator data. */
export const MAX_ASSERTION_BYTES = 512;
const ASSERTION_LIMITS = { maxBytes: MAX_ASSERTION_BYTES, maxDepth: 1, maxItems: 5 };
/** A DER ECDSA P-256 signature is at most 72 bytes. */
const MAX_SIGNATURE_BYTES = 72;
const ASSERTION_AUTH_DATA_BYTES = 37;

/**
 * Verifies an App Attest assertion (Apple, "Assessing fraud risk / Verify the assertion"):
 * `{signature, authenticatorData}`, rpIdHash = SHA-256("<teamId>.<bundleId>"), an ECDSA P-256
 * signature (DER, SHA-256) by the stored key over SHA-256(authenticatorData ‖
 * SHA-256(clientData)), the client data bound to the expected challenge and request, and a
 * counter strictly greater than the stored one. Pure: persisting the counter is the caller's
 * compare-and-set. Never throws.
 */
export function verifyAssertion(
  request: AssertionRequest,
): Verdict<AcceptedAssertion, AppAttestReason> {
  const decoded = decodeBoundedCbor(request.assertion, ASSERTION_LIMITS);
  if (!decoded.ok) return invalid(decoded.reason, decoded.detail);
  const map = exactTextMap(decoded.value, ['signature', 'authenticatorData']);
  const signature = asBytes(map?.get('signature'));
  const authDataBytes = asBytes(map?.get('authenticatorData'));
  if (signature === undefined || authDataBytes === undefined) {
    return invalid('assertion_malformed', 'expected signature and authenticatorData bytes');
  }
  if (signature.length === 0 || signature.length > MAX_SIGNATURE_BYTES) {
    return invalid('assertion_malformed', 'signature length');
  }
  const authData =
    authDataBytes.length === ASSERTION_AUTH_DATA_BYTES
      ? parseAssertionAuthData(authDataBytes)
      : undefined;
  if (authData === undefined) return invalid('auth_data_malformed');
  const appId = `${request.app.teamId}.${request.app.bundleId}`;
  if (!same(authData.rpIdHash, sha256(Buffer.from(appId, 'utf8'))))
    return invalid('rp_id_mismatch');

  const key = publicKeyOf(request.key.publicKey);
  if (key === undefined) return invalid('key_unknown', 'stored public key unusable');
  const nonce = sha256(authDataBytes, sha256(request.clientData.bytes));
  if (!signatureHolds(nonce, key, signature)) return invalid('signature_invalid');

  const binding = checkClientData(request.clientData);
  if (!binding.ok) return invalid(binding.reason, binding.detail);
  if (authData.counter <= request.key.counter) {
    return invalid(
      'counter_replay',
      `counter ${authData.counter} not above ${request.key.counter}`,
    );
  }
  return valid({ counter: authData.counter });
}

function publicKeyOf(key: KeyObject | JsonWebKey): KeyObject | undefined {
  try {
    const object = isKeyObject(key) ? key : createPublicKey({ key, format: 'jwk' });
    const isP256 =
      object.type === 'public' &&
      object.asymmetricKeyType === 'ec' &&
      object.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    return isP256 ? object : undefined;
  } catch {
    return undefined;
  }
}

function isKeyObject(key: KeyObject | JsonWebKey): key is KeyObject {
  return typeof (key as KeyObject).export === 'function' && 'asymmetricKeyType' in key;
}

function signatureHolds(message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify('sha256', message, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
