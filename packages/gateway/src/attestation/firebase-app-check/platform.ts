import type { AttestationConfig } from '../../config/attestation-schema.js';
import type { ReplayCache } from '../../pipeline/authenticate/replay.js';
import { refusal, type Platform } from '../platform.js';
import { APP_CHECK_CODES } from '../reason-codes.js';
import { createAppCheckVerifier } from './verify.js';

/**
 * Firebase App Check in the gateway (docs/attestation.md): per request, the token in the
 * `X-Firebase-AppCheck` header (Firebase's own header name), verified against Firebase's key
 * set; with `replayProtection` each token is accepted once (limited-use tokens).
 */
export const APP_CHECK_HEADER = 'x-firebase-appcheck';

export function firebaseAppCheckPlatform(
  settings: NonNullable<AttestationConfig['firebaseAppCheck']>,
  replay: ReplayCache | undefined,
  now: () => number,
): Platform {
  const verifier = createAppCheckVerifier({
    projectNumber: settings.projectNumber,
    appIds: settings.appIds,
    jwksUri: settings.jwksUri,
    now,
    ...(settings.replayProtection && replay !== undefined ? { replay } : {}),
  });
  return {
    id: 'firebase-app-check',
    header: APP_CHECK_HEADER,
    async verifyRequest(evidence) {
      const verdict = await verifier.verify(evidence.value);
      if (verdict.outcome !== 'valid') {
        throw refusal('firebase-app-check', verdict.reason, APP_CHECK_CODES[verdict.reason]);
      }
    },
  };
}
