import { timingSafeEqual } from 'node:crypto';
import { indeterminate, invalid, valid, type Verdict } from '@rampart/core';
import { compactDecrypt, compactVerify, errors } from 'jose';
import { compactSegments } from '../../pipeline/authenticate/compact.js';
import { importPlayIntegrityKeys, type PlayIntegrityKeyMaterial } from './keys.js';
import { policyFailure, resolvePolicy, type PlayIntegrityPolicy } from './policy.js';
import { evidenceOf, verdictPayloadSchema, type PlayIntegrityEvidence } from './verdict-format.js';

/**
 * Google Play Integrity verdict tokens, decrypted and verified locally with the team's own keys
 * (Google's "decrypt and verify locally" option; no call to Google's servers).
 *
 * A token is a JWE compact serialization (RFC 7516) with alg A256KW and enc A256GCM whose
 * plaintext is a JWS compact serialization (RFC 7515) signed ES256, whose payload is the verdict
 * JSON. The checks, in order: token length; canonical compact shape; decryption with only
 * A256KW/A256GCM allowed; canonical inner shape; signature with only ES256 allowed; payload
 * schema; then, as Google asks, requestDetails before any verdict — the package name, the
 * binding to this request (classic `nonce` or standard `requestHash`), the token's age against
 * the injected clock — then appIntegrity.packageName and the policy over app, device, licensing
 * and environment verdicts.
 *
 * Every outcome is a Verdict: malformed or hostile input is `invalid(reason)`, never a throw.
 * Nothing here needs the network, so no outcome is `indeterminate` except an internal fault.
 */

/** Why a token is refused. */
export type PlayIntegrityReason =
  | 'too_large'
  | 'token_malformed'
  | 'algorithm_not_allowed'
  | 'decrypt_failed'
  | 'signature_invalid'
  | 'verdict_malformed'
  | 'package_mismatch'
  | 'nonce_mismatch'
  | 'request_hash_mismatch'
  | 'stale'
  | 'from_future'
  | 'app_unrecognized'
  | 'certificate_not_allowed'
  | 'device_integrity_insufficient'
  | 'unlicensed'
  | 'play_protect_risk'
  | 'app_access_risk'
  | 'internal_error';

/**
 * What ties a token to the request it came with. Classic requests: the nonce the gateway gave
 * the app, as the app passed it to `setNonce` (base64url; padding and alphabet are normalized).
 * Standard requests: the request hash the app passed to `setRequestHash`, compared exactly.
 */
export type PlayIntegrityBinding =
  | { readonly kind: 'classic'; readonly nonce: string }
  | { readonly kind: 'standard'; readonly requestHash: string };

export interface PlayIntegrityVerifierOptions {
  /** The base64 keys from Play Console; checked at construction (TypeError when unusable). */
  readonly keys: PlayIntegrityKeyMaterial;
  readonly policy: PlayIntegrityPolicy;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
  /** Longest token accepted, in characters; default 16 384 (Google's are a few KiB). */
  readonly maxTokenLength?: number;
}

export interface PlayIntegrityVerifier {
  /** Verifies one token (the string the app got from the Play Integrity API) for one request. */
  verify(
    token: string,
    binding: PlayIntegrityBinding,
  ): Promise<Verdict<PlayIntegrityEvidence, PlayIntegrityReason>>;
}

export const PLAY_INTEGRITY_MAX_TOKEN_LENGTH = 16_384;

type Refusal = Verdict<never, PlayIntegrityReason>;

export function createPlayIntegrityVerifier(
  options: PlayIntegrityVerifierOptions,
): PlayIntegrityVerifier {
  const keys = importPlayIntegrityKeys(options.keys);
  const policy = resolvePolicy(options.policy);
  const maxLength = options.maxTokenLength ?? PLAY_INTEGRITY_MAX_TOKEN_LENGTH;

  async function payloadOf(token: string): Promise<Uint8Array | Refusal> {
    const outer = compactSegments(token, 5, maxLength);
    if (typeof outer === 'string') {
      return invalid(
        outer,
        outer === 'too_large'
          ? `The token is longer than ${maxLength} characters.`
          : 'The token is not a compact JWE in canonical base64url.',
      );
    }
    let inner: string;
    try {
      const { plaintext } = await compactDecrypt(token, keys.decryptionKey, {
        keyManagementAlgorithms: ['A256KW'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      inner = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
    } catch (error) {
      return refusalFor(error, 'decrypt_failed');
    }
    // The plaintext is no longer than the ciphertext, which the token length bounded.
    const shape = compactSegments(inner, 3, maxLength);
    if (typeof shape === 'string') return invalid('token_malformed', 'No compact JWS inside.');
    try {
      const { payload } = await compactVerify(inner, keys.verificationKey, {
        algorithms: ['ES256'],
      });
      return payload;
    } catch (error) {
      return refusalFor(error, 'signature_invalid');
    }
  }

  return {
    async verify(token, binding) {
      try {
        const bytes = await payloadOf(token);
        if (!(bytes instanceof Uint8Array)) return bytes;
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        } catch {
          return invalid('verdict_malformed', 'The signed payload is not JSON.');
        }
        const parsed = verdictPayloadSchema.safeParse(json);
        if (!parsed.success) {
          return invalid('verdict_malformed', 'The signed payload is not a verdict.');
        }
        const payload = parsed.data;
        const { requestDetails, appIntegrity } = payload;
        if (requestDetails.requestPackageName !== policy.packageName) {
          return invalid('package_mismatch', 'requestPackageName is not the configured app.');
        }
        const bindingRefusal = checkBinding(requestDetails, binding);
        if (bindingRefusal !== undefined) return bindingRefusal;
        const timestampMs = Number(requestDetails.timestampMillis);
        const nowMs = options.now();
        if (nowMs - timestampMs > policy.maxAgeMs) {
          return invalid('stale', 'timestampMillis is older than the maximum age.');
        }
        if (timestampMs - nowMs > policy.futureSkewMs) {
          return invalid('from_future', 'timestampMillis is ahead of the clock.');
        }
        if (
          appIntegrity.packageName !== undefined &&
          appIntegrity.packageName !== policy.packageName
        ) {
          return invalid('package_mismatch', 'appIntegrity.packageName is not the configured app.');
        }
        const failure = policyFailure(payload, policy);
        if (failure !== undefined) return invalid(failure.reason, failure.detail);
        return valid(evidenceOf(payload, binding.kind, timestampMs));
      } catch {
        // Every expected failure is mapped above; reaching here is a fault of ours. Fail closed.
        return indeterminate('internal_error', 'The token could not be judged.');
      }
    },
  };
}

function checkBinding(
  requestDetails: {
    readonly nonce?: string | undefined;
    readonly requestHash?: string | undefined;
  },
  binding: PlayIntegrityBinding,
): Refusal | undefined {
  if (binding.kind === 'classic') {
    const nonce = requestDetails.nonce;
    if (nonce === undefined || !sameText(normalizeNonce(nonce), normalizeNonce(binding.nonce))) {
      return invalid('nonce_mismatch', 'The nonce is not the one issued for this request.');
    }
    return undefined;
  }
  const hash = requestDetails.requestHash;
  if (hash === undefined || !sameText(hash, binding.requestHash)) {
    return invalid('request_hash_mismatch', "The requestHash is not this request's hash.");
  }
  return undefined;
}

/** A nonce's base64 spelling without padding, in the URL-safe alphabet (Google may re-pad it). */
function normalizeNonce(nonce: string): string {
  return nonce.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_');
}

/** Constant-time equality of two strings (lengths are not secret). */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A jose failure as the reason it means; `cryptoReason` for a failed decryption or signature. */
function refusalFor(error: unknown, cryptoReason: 'decrypt_failed' | 'signature_invalid'): Refusal {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return invalid('algorithm_not_allowed', 'The token uses an algorithm that is not accepted.');
  }
  if (
    error instanceof errors.JWEDecryptionFailed ||
    error instanceof errors.JWSSignatureVerificationFailed
  ) {
    return invalid(
      cryptoReason,
      cryptoReason === 'decrypt_failed'
        ? 'The token does not decrypt with the configured key.'
        : 'The verdict signature does not verify with the configured key.',
    );
  }
  return invalid('token_malformed', 'The token is not a well-formed JWE holding a JWS.');
}
