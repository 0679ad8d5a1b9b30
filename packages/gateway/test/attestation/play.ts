import {
  PLAY_INTEGRITY_EXAMPLE,
  examplePlayIntegrityVerdict,
  mintPlayIntegrityToken,
  type PlayIntegrityTestKeys,
} from '@rampart/testkit';

/**
 * Play Integrity as the simplest registration to spend challenges with: the config section
 * and environment for `keys`, and a token Google would return for `nonce` at `now`.
 */
export function playIntegritySection(): Record<string, unknown> {
  return {
    packageName: PLAY_INTEGRITY_EXAMPLE.packageName,
    decryptionKeyEnv: 'PI_DECRYPTION_KEY',
    verificationKeyEnv: 'PI_VERIFICATION_KEY',
  };
}

export function playIntegrityEnv(keys: PlayIntegrityTestKeys): Record<string, string> {
  return { PI_DECRYPTION_KEY: keys.decryptionKey, PI_VERIFICATION_KEY: keys.verificationKey };
}

/** Google's documented example verdict, bound to `nonce` and dated `now` (ms). */
export function playIntegrityToken(
  keys: PlayIntegrityTestKeys,
  nonce: string,
  now: number,
): Promise<string> {
  const verdict = examplePlayIntegrityVerdict('classic');
  verdict.requestDetails.nonce = nonce;
  verdict.requestDetails.timestampMillis = String(now);
  return mintPlayIntegrityToken(keys, verdict);
}
