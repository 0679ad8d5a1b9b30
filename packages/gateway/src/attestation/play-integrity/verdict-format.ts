import { z } from 'zod';

/**
 * The decrypted, signature-checked Play Integrity verdict payload, as Google documents it
 * ("Integrity verdicts", developer.android.com/google/play/integrity/verdicts): plain JSON with
 * `requestDetails`, `appIntegrity`, `deviceIntegrity`, `accountDetails` and, when enabled in
 * Play Console, `environmentDetails`. Only the fields Rampart judges are read; others Google may
 * add are ignored. Every string and list is bounded, so a payload can never make the checks
 * below allocate or compare without limit (the token length bounds the whole payload first).
 *
 * Verdict values are kept as bounded strings rather than closed enums: a value Google adds
 * later then simply fails to match policy (refused) instead of failing to parse.
 */

const label = z.string().min(1).max(64);
/** int64 fields are strings in Google's JSON mapping; a plain number is tolerated too. */
const int64 = z.union([
  z.string().regex(/^\d{1,16}$/),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
]);

export const verdictPayloadSchema = z.object({
  requestDetails: z.object({
    requestPackageName: z.string().min(1).max(256),
    /** Standard requests: the hash the app passed to the token request (at most 500 chars). */
    requestHash: z.string().max(500).optional(),
    /** Classic requests: the base64url nonce the app passed (16 to 500 chars). */
    nonce: z.string().max(700).optional(),
    /** When Google prepared the token, milliseconds since the epoch. */
    timestampMillis: int64,
  }),
  appIntegrity: z.object({
    /** PLAY_RECOGNIZED, UNRECOGNIZED_VERSION or UNEVALUATED. */
    appRecognitionVerdict: label,
    /** Present unless the verdict is UNEVALUATED. */
    packageName: z.string().min(1).max(256).optional(),
    /** base64url SHA-256 digests of the app's signing certificates. */
    certificateSha256Digest: z.array(z.string().min(1).max(128)).max(16).optional(),
    versionCode: int64.optional(),
  }),
  deviceIntegrity: z.object({
    /** Labels met: MEETS_BASIC_INTEGRITY, MEETS_DEVICE_INTEGRITY, MEETS_STRONG_INTEGRITY, … */
    deviceRecognitionVerdict: z.array(label).max(16).optional(),
    recentDeviceActivity: z.object({ deviceActivityLevel: label }).optional(),
  }),
  accountDetails: z.object({
    /** LICENSED, UNLICENSED or UNEVALUATED. */
    appLicensingVerdict: label,
  }),
  environmentDetails: z
    .object({
      /** NO_ISSUES, NO_DATA, POSSIBLE_RISK, MEDIUM_RISK, HIGH_RISK or UNEVALUATED. */
      playProtectVerdict: label.optional(),
      appAccessRiskVerdict: z
        .object({
          /** KNOWN_/UNKNOWN_ × INSTALLED, CAPTURING, CONTROLLING, OVERLAYS. */
          appsDetected: z.array(label).max(16).optional(),
        })
        .optional(),
    })
    .optional(),
});

export type VerdictPayload = z.infer<typeof verdictPayloadSchema>;

/** What a verified token said, as handed to the caller on a valid verdict. */
export interface PlayIntegrityEvidence {
  /** `classic` when bound by `nonce`, `standard` when bound by `requestHash`. */
  readonly requestKind: 'classic' | 'standard';
  readonly packageName: string;
  /** When Google prepared the token, milliseconds since the epoch. */
  readonly timestampMs: number;
  readonly appRecognitionVerdict: string;
  readonly versionCode?: string;
  readonly certificateSha256Digests: readonly string[];
  readonly deviceRecognitionVerdicts: readonly string[];
  readonly deviceActivityLevel?: string;
  readonly appLicensingVerdict: string;
  readonly playProtectVerdict?: string;
  readonly appsDetected?: readonly string[];
}

/** The evidence a payload carries (after every check has passed). */
export function evidenceOf(
  payload: VerdictPayload,
  requestKind: PlayIntegrityEvidence['requestKind'],
  timestampMs: number,
): PlayIntegrityEvidence {
  const { appIntegrity, deviceIntegrity, accountDetails, environmentDetails } = payload;
  const versionCode = appIntegrity.versionCode;
  const activity = deviceIntegrity.recentDeviceActivity?.deviceActivityLevel;
  const playProtect = environmentDetails?.playProtectVerdict;
  const appsDetected = environmentDetails?.appAccessRiskVerdict?.appsDetected;
  return {
    requestKind,
    packageName: payload.requestDetails.requestPackageName,
    timestampMs,
    appRecognitionVerdict: appIntegrity.appRecognitionVerdict,
    ...(versionCode === undefined ? {} : { versionCode: String(versionCode) }),
    certificateSha256Digests: appIntegrity.certificateSha256Digest ?? [],
    deviceRecognitionVerdicts: deviceIntegrity.deviceRecognitionVerdict ?? [],
    ...(activity === undefined ? {} : { deviceActivityLevel: activity }),
    appLicensingVerdict: accountDetails.appLicensingVerdict,
    ...(playProtect === undefined ? {} : { playProtectVerdict: playProtect }),
    ...(appsDetected === undefined ? {} : { appsDetected }),
  };
}
