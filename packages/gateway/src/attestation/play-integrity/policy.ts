import type { VerdictPayload } from './verdict-format.js';

/** Device integrity labels a policy may require, weakest first. */
export const DEVICE_INTEGRITY_LEVELS = [
  'MEETS_BASIC_INTEGRITY',
  'MEETS_DEVICE_INTEGRITY',
  'MEETS_STRONG_INTEGRITY',
] as const;
export type DeviceIntegrityLevel = (typeof DEVICE_INTEGRITY_LEVELS)[number];

export type AppRecognitionVerdict = 'PLAY_RECOGNIZED' | 'UNRECOGNIZED_VERSION' | 'UNEVALUATED';
export type AppLicensingVerdict = 'LICENSED' | 'UNLICENSED' | 'UNEVALUATED';
export type PlayProtectVerdict =
  'NO_ISSUES' | 'NO_DATA' | 'POSSIBLE_RISK' | 'MEDIUM_RISK' | 'HIGH_RISK' | 'UNEVALUATED';
export type AppsDetected =
  | 'KNOWN_INSTALLED'
  | 'KNOWN_CAPTURING'
  | 'KNOWN_CONTROLLING'
  | 'KNOWN_OVERLAYS'
  | 'UNKNOWN_INSTALLED'
  | 'UNKNOWN_CAPTURING'
  | 'UNKNOWN_CONTROLLING'
  | 'UNKNOWN_OVERLAYS';

/**
 * What a Play Integrity verdict must say to be accepted. Only `packageName` is required; every
 * other rule has a strict default.
 */
export interface PlayIntegrityPolicy {
  /** The app's package name: requestDetails.requestPackageName and appIntegrity.packageName. */
  readonly packageName: string;
  /** Accepted appIntegrity.appRecognitionVerdict values; default ['PLAY_RECOGNIZED']. */
  readonly appRecognitionVerdicts?: readonly AppRecognitionVerdict[];
  /**
   * Allowed signing-certificate SHA-256 digests (base64url as Google sends them, or hex as
   * Play Console shows them, colons optional). When set, one of appIntegrity's digests must be
   * listed. Default: not checked.
   */
  readonly certificateSha256Digests?: readonly string[];
  /** The weakest device label accepted (stronger ones satisfy it); default MEETS_DEVICE_INTEGRITY. */
  readonly deviceIntegrity?: DeviceIntegrityLevel;
  /** Accepted accountDetails.appLicensingVerdict values; default ['LICENSED']. */
  readonly appLicensingVerdicts?: readonly AppLicensingVerdict[];
  /**
   * When set, environmentDetails.playProtectVerdict must be present and one of these (the
   * environment details must be enabled in Play Console). Default: not checked.
   */
  readonly playProtectVerdicts?: readonly PlayProtectVerdict[];
  /** When set, a verdict whose appsDetected lists any of these is refused. Default: not checked. */
  readonly refusedAppsDetected?: readonly AppsDetected[];
  /** Oldest a token may be (now − timestampMillis), in ms; default 120 000. */
  readonly maxAgeMs?: number;
  /** How far timestampMillis may be ahead of the clock, in ms; default 5 000. */
  readonly futureSkewMs?: number;
}

export const PLAY_INTEGRITY_DEFAULTS = {
  appRecognitionVerdicts: ['PLAY_RECOGNIZED'],
  deviceIntegrity: 'MEETS_DEVICE_INTEGRITY',
  appLicensingVerdicts: ['LICENSED'],
  maxAgeMs: 120_000,
  futureSkewMs: 5_000,
} as const satisfies Partial<PlayIntegrityPolicy>;

/** A policy with its defaults applied and digests normalized, checked once at construction. */
export interface ResolvedPolicy {
  readonly packageName: string;
  readonly appRecognitionVerdicts: ReadonlySet<string>;
  readonly certificateSha256Digests: ReadonlySet<string> | undefined;
  readonly acceptedDeviceLabels: ReadonlySet<string>;
  readonly appLicensingVerdicts: ReadonlySet<string>;
  readonly playProtectVerdicts: ReadonlySet<string> | undefined;
  readonly refusedAppsDetected: ReadonlySet<string>;
  readonly maxAgeMs: number;
  readonly futureSkewMs: number;
}

/** Applies defaults; throws a TypeError naming the field for an unusable policy. */
export function resolvePolicy(policy: PlayIntegrityPolicy): ResolvedPolicy {
  if (policy.packageName.length === 0 || policy.packageName.length > 256) {
    throw new TypeError('Play Integrity policy: packageName must be 1 to 256 characters.');
  }
  const maxAgeMs = policy.maxAgeMs ?? PLAY_INTEGRITY_DEFAULTS.maxAgeMs;
  const futureSkewMs = policy.futureSkewMs ?? PLAY_INTEGRITY_DEFAULTS.futureSkewMs;
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs <= 0) {
    throw new TypeError('Play Integrity policy: maxAgeMs must be a positive integer.');
  }
  if (!Number.isSafeInteger(futureSkewMs) || futureSkewMs < 0) {
    throw new TypeError('Play Integrity policy: futureSkewMs must be a non-negative integer.');
  }
  const level = policy.deviceIntegrity ?? PLAY_INTEGRITY_DEFAULTS.deviceIntegrity;
  const digests = policy.certificateSha256Digests;
  if (digests?.length === 0) {
    throw new TypeError('Play Integrity policy: certificateSha256Digests, when set, lists one.');
  }
  return {
    packageName: policy.packageName,
    appRecognitionVerdicts: new Set(
      policy.appRecognitionVerdicts ?? PLAY_INTEGRITY_DEFAULTS.appRecognitionVerdicts,
    ),
    certificateSha256Digests:
      digests === undefined ? undefined : new Set(digests.map(normalizeDigest)),
    acceptedDeviceLabels: new Set(
      DEVICE_INTEGRITY_LEVELS.slice(DEVICE_INTEGRITY_LEVELS.indexOf(level)),
    ),
    appLicensingVerdicts: new Set(
      policy.appLicensingVerdicts ?? PLAY_INTEGRITY_DEFAULTS.appLicensingVerdicts,
    ),
    playProtectVerdicts:
      policy.playProtectVerdicts === undefined ? undefined : new Set(policy.playProtectVerdicts),
    refusedAppsDetected: new Set(policy.refusedAppsDetected ?? []),
    maxAgeMs,
    futureSkewMs,
  };
}

const HEX_DIGEST = /^[0-9A-Fa-f]{2}(:?[0-9A-Fa-f]{2}){31}$/;

/**
 * One spelling per digest: base64url without padding. Hex (Play Console's form, with or
 * without colons) is converted; standard base64 is mapped to the URL-safe alphabet.
 */
export function normalizeDigest(digest: string): string {
  if (HEX_DIGEST.test(digest)) {
    return Buffer.from(digest.replaceAll(':', ''), 'hex').toString('base64url');
  }
  return digest.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_');
}

/** Why the verdicts themselves (not the binding) fail policy. */
export type PolicyFailure =
  | 'app_unrecognized'
  | 'certificate_not_allowed'
  | 'device_integrity_insufficient'
  | 'unlicensed'
  | 'play_protect_risk'
  | 'app_access_risk';

/** Judges the app, device, licensing and environment verdicts; undefined when all pass. */
export function policyFailure(
  payload: VerdictPayload,
  policy: ResolvedPolicy,
): { readonly reason: PolicyFailure; readonly detail: string } | undefined {
  const { appIntegrity, deviceIntegrity, accountDetails, environmentDetails } = payload;
  if (!policy.appRecognitionVerdicts.has(appIntegrity.appRecognitionVerdict)) {
    return { reason: 'app_unrecognized', detail: 'appRecognitionVerdict is not accepted.' };
  }
  const allowed = policy.certificateSha256Digests;
  if (allowed !== undefined) {
    const presented = appIntegrity.certificateSha256Digest ?? [];
    if (!presented.some((digest) => allowed.has(normalizeDigest(digest)))) {
      return {
        reason: 'certificate_not_allowed',
        detail: 'No signing certificate digest is on the allowlist.',
      };
    }
  }
  const labels = deviceIntegrity.deviceRecognitionVerdict ?? [];
  if (!labels.some((label) => policy.acceptedDeviceLabels.has(label))) {
    return {
      reason: 'device_integrity_insufficient',
      detail: 'deviceRecognitionVerdict does not meet the required level.',
    };
  }
  if (!policy.appLicensingVerdicts.has(accountDetails.appLicensingVerdict)) {
    return { reason: 'unlicensed', detail: 'appLicensingVerdict is not accepted.' };
  }
  const playProtect = environmentDetails?.playProtectVerdict;
  if (
    policy.playProtectVerdicts !== undefined &&
    (playProtect === undefined || !policy.playProtectVerdicts.has(playProtect))
  ) {
    return { reason: 'play_protect_risk', detail: 'playProtectVerdict is absent or not accepted.' };
  }
  const detected = environmentDetails?.appAccessRiskVerdict?.appsDetected ?? [];
  if (detected.some((kind) => policy.refusedAppsDetected.has(kind))) {
    return { reason: 'app_access_risk', detail: 'appsDetected lists a refused kind of app.' };
  }
  return undefined;
}
