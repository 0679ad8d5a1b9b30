import type { AttestationConfig } from '../../config/attestation-schema.js';
import { gatewayError } from '../../errors.js';
import { refusal, spendChallenge, bytesOf, type Platform } from '../platform.js';
import { ANDROID_KEY_CODES } from '../reason-codes.js';
import type { TrustAnchor } from './chain.js';
import { MAX_CERTIFICATE_BYTES } from './certificate.js';
import type { StatusListProvider } from './status-list.js';
import { MAX_CHAIN_LENGTH, verifyKeyAttestation } from './verify.js';

/**
 * Android key attestation in the gateway (docs/attestation.md): registration only.
 * `POST /attest/v1/android-key-attestation` with JSON `{ challenge, chain }`: the app asked
 * `POST /attest/v1/challenges` for a challenge (with any device key of the same user), generated
 * its new DPoP key in the Android Keystore with `setAttestationChallenge(<the challenge's UTF-8
 * bytes>)`, had its access token bound to that key, and sends the key's certificate chain
 * (base64 DER, leaf first) with a DPoP proof signed by it. The challenge is spent, the chain verified to Google's roots
 * with the revocation list, and the attested key must be the caller's DPoP key: the hardware key
 * that signs every proof is then known to live in a genuine device's keystore, so a token
 * lifted from it is useless elsewhere. The device key then counts as attested for
 * `attestation.attestedTtlSeconds`.
 */
export function androidKeyAttestationPlatform(
  settings: NonNullable<AttestationConfig['androidKeyAttestation']>,
  revocation: StatusListProvider,
  trustAnchors?: readonly TrustAnchor[],
): Platform {
  const policy = {
    packageNames: settings.packageNames,
    signingCertificateDigests: settings.signingCertDigests,
    minimumSecurityLevel: settings.minSecurityLevel,
    allowedBootStates: settings.requireVerifiedBoot
      ? (['verified'] as const)
      : (['verified', 'self-signed', 'unverified'] as const),
    requireDeviceLocked: settings.requireDeviceLocked,
  };
  return {
    id: 'android-key-attestation',
    async register(context, body) {
      const fields =
        typeof body === 'object' && body !== null && !Array.isArray(body)
          ? (body as Record<string, unknown>)
          : {};
      const list = fields['chain'];
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHAIN_LENGTH) {
        throw gatewayError(
          'attest.malformed',
          'android-key-attestation: chain must be 1–10 certificates.',
        );
      }
      const chain = list.map((entry, index) =>
        bytesOf(entry, `chain[${index}]`, MAX_CERTIFICATE_BYTES),
      );
      // The key is generated with the challenge, so another key of this subject asked for it;
      // the binding to the device is the check below: the attested key signs the DPoP proofs.
      const challenge = await spendChallenge(context, fields['challenge'], 'subject');
      const verdict = await verifyKeyAttestation(chain, {
        challenge: new TextEncoder().encode(challenge),
        now: context.now,
        policy,
        revocation,
        ...(trustAnchors === undefined ? {} : { trustAnchors }),
      });
      if (verdict.outcome !== 'valid') {
        throw refusal('android-key-attestation', verdict.reason, ANDROID_KEY_CODES[verdict.reason]);
      }
      if (verdict.value.jwkThumbprint !== context.principal.deviceJkt) {
        throw gatewayError(
          'attest.challenge_mismatch',
          'android-key-attestation: the attested key is not the DPoP key of this token.',
        );
      }
      return {
        platform: 'android-key-attestation',
        attestedAt: context.now,
        expiresAt: context.now + context.attestedTtlMs,
      };
    },
  };
}
