import type { AttestationConfig } from '../../config/attestation-schema.js';
import { gatewayError } from '../../errors.js';
import { refusal, spendChallenge, type Platform } from '../platform.js';
import { PLAY_INTEGRITY_CODES } from '../reason-codes.js';
import { PLAY_INTEGRITY_MAX_TOKEN_LENGTH, createPlayIntegrityVerifier } from './verify.js';
import type { PlayIntegrityKeyMaterial } from './keys.js';

/**
 * Google Play Integrity in the gateway (docs/attestation.md): registration only.
 * `POST /attest/v1/play-integrity` with JSON `{ challenge, token }`: the app asked
 * `POST /attest/v1/challenges` for a challenge and passed it as the `nonce` of a classic
 * integrity request. The challenge is spent (it is bound to the caller and its device key),
 * the verdict decrypted and verified locally with the team's keys, and on success the caller's
 * device key counts as attested for `attestation.attestedTtlSeconds`.
 */
export function playIntegrityPlatform(
  settings: NonNullable<AttestationConfig['playIntegrity']>,
  keys: PlayIntegrityKeyMaterial,
  now: () => number,
): Platform {
  const verifier = createPlayIntegrityVerifier({
    keys,
    policy: {
      packageName: settings.packageName,
      deviceIntegrity: settings.deviceIntegrity,
      appLicensingVerdicts: settings.requireLicensed
        ? ['LICENSED']
        : ['LICENSED', 'UNLICENSED', 'UNEVALUATED'],
      ...(settings.certificateSha256Digests === undefined
        ? {}
        : { certificateSha256Digests: settings.certificateSha256Digests }),
    },
    now,
  });
  return {
    id: 'play-integrity',
    async register(context, body) {
      const fields =
        typeof body === 'object' && body !== null && !Array.isArray(body)
          ? (body as Record<string, unknown>)
          : {};
      const token = fields['token'];
      if (typeof token !== 'string' || token.length > PLAY_INTEGRITY_MAX_TOKEN_LENGTH) {
        throw gatewayError('attest.malformed', 'play-integrity: token is missing or too large.');
      }
      const nonce = await spendChallenge(context, fields['challenge']);
      const verdict = await verifier.verify(token, { kind: 'classic', nonce });
      if (verdict.outcome !== 'valid') {
        throw refusal('play-integrity', verdict.reason, PLAY_INTEGRITY_CODES[verdict.reason]);
      }
      return {
        platform: 'play-integrity',
        attestedAt: context.now,
        expiresAt: context.now + context.attestedTtlMs,
      };
    },
  };
}
