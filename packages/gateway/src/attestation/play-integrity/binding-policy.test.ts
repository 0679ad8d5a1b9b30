import { createHash } from 'node:crypto';
import {
  createPlayIntegrityKeys,
  examplePlayIntegrityVerdict,
  mintPlayIntegrityToken,
  PLAY_INTEGRITY_EXAMPLE as EXAMPLE,
  type PlayIntegrityTestKeys,
  type PlayIntegrityVerdictJson,
} from '@rampart/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createPlayIntegrityVerifier,
  PLAY_INTEGRITY_DEFAULTS,
  type PlayIntegrityBinding,
  type PlayIntegrityPolicy,
} from './index.js';

const STANDARD: PlayIntegrityBinding = { kind: 'standard', requestHash: EXAMPLE.requestHash };
const CLASSIC: PlayIntegrityBinding = { kind: 'classic', nonce: EXAMPLE.nonce };
const NOW = EXAMPLE.timestampMillis + 1_000;

let keys: PlayIntegrityTestKeys;
beforeAll(async () => {
  keys = await createPlayIntegrityKeys();
});

/** The outcome for Google's example verdict after `edit`, as `valid` or `outcome:reason`. */
async function judge(
  edit: (verdict: PlayIntegrityVerdictJson) => void = () => undefined,
  policy: Partial<PlayIntegrityPolicy> = {},
  { binding = STANDARD, now = NOW }: { binding?: PlayIntegrityBinding; now?: number } = {},
): Promise<string> {
  const verdict = examplePlayIntegrityVerdict(binding.kind);
  edit(verdict);
  const token = await mintPlayIntegrityToken(keys, verdict);
  const result = await createPlayIntegrityVerifier({
    keys,
    policy: { packageName: EXAMPLE.packageName, ...policy },
    now: () => now,
  }).verify(token, binding);
  return result.outcome === 'valid' ? 'valid' : `${result.outcome}:${result.reason}`;
}

describe('Play Integrity: the token is bound to this app and this request', () => {
  it('refuses a verdict requested for another package (package_mismatch)', async () => {
    expect(await judge((v) => (v.requestDetails.requestPackageName = 'com.attacker.app'))).toBe(
      'invalid:package_mismatch',
    );
  });

  it('refuses a verdict whose app integrity names another package (package_mismatch)', async () => {
    expect(await judge((v) => (v.appIntegrity.packageName = 'com.attacker.app'))).toBe(
      'invalid:package_mismatch',
    );
  });

  it('refuses a classic verdict carrying another nonce (nonce_mismatch)', async () => {
    const edit = (v: PlayIntegrityVerdictJson) =>
      (v.requestDetails.nonce = 'b3RoZXIgbm9uY2UgdmFsdWU');
    expect(await judge(edit, {}, { binding: CLASSIC })).toBe('invalid:nonce_mismatch');
  });

  it('refuses a standard verdict when a nonce was expected (nonce_mismatch)', async () => {
    const edit = (v: PlayIntegrityVerdictJson) => {
      v.requestDetails = { ...v.requestDetails, requestHash: EXAMPLE.nonce };
      delete v.requestDetails.nonce;
    };
    expect(await judge(edit, {}, { binding: CLASSIC })).toBe('invalid:nonce_mismatch');
  });

  it('refuses a standard verdict for another request (request_hash_mismatch)', async () => {
    const other = createHash('sha256').update('another request').digest('base64url');
    expect(await judge((v) => (v.requestDetails.requestHash = other))).toBe(
      'invalid:request_hash_mismatch',
    );
  });

  it('refuses a classic verdict when a request hash was expected (request_hash_mismatch)', async () => {
    const edit = (v: PlayIntegrityVerdictJson) => {
      v.requestDetails.nonce = EXAMPLE.requestHash;
      delete v.requestDetails.requestHash;
    };
    expect(await judge(edit)).toBe('invalid:request_hash_mismatch');
  });

  it('compares the request hash exactly: a re-padded hash is another hash', async () => {
    expect(await judge((v) => (v.requestDetails.requestHash = `${EXAMPLE.requestHash}=`))).toBe(
      'invalid:request_hash_mismatch',
    );
  });

  it('accepts a token exactly at the maximum age and refuses it one millisecond later (stale)', async () => {
    const limit = EXAMPLE.timestampMillis + PLAY_INTEGRITY_DEFAULTS.maxAgeMs;
    expect(await judge(undefined, {}, { now: limit })).toBe('valid');
    expect(await judge(undefined, {}, { now: limit + 1 })).toBe('invalid:stale');
  });

  it('honours a configured maximum age', async () => {
    const now = EXAMPLE.timestampMillis + 10_001;
    expect(await judge(undefined, { maxAgeMs: 10_000 }, { now })).toBe('invalid:stale');
  });

  it('accepts a timestamp within the future skew and refuses one beyond it (from_future)', async () => {
    const skew = PLAY_INTEGRITY_DEFAULTS.futureSkewMs;
    expect(await judge(undefined, {}, { now: EXAMPLE.timestampMillis - skew })).toBe('valid');
    expect(await judge(undefined, {}, { now: EXAMPLE.timestampMillis - skew - 1 })).toBe(
      'invalid:from_future',
    );
  });

  it('checks the request before the verdicts: a replayed old token for an unrecognized app is stale', async () => {
    const edit = (v: PlayIntegrityVerdictJson) =>
      (v.appIntegrity.appRecognitionVerdict = 'UNEVALUATED');
    expect(await judge(edit, {}, { now: NOW + 3_600_000 })).toBe('invalid:stale');
  });
});

describe('Play Integrity: app, device, licensing and environment policy', () => {
  it('refuses a version Play does not recognize, by default (app_unrecognized)', async () => {
    expect(
      await judge((v) => (v.appIntegrity.appRecognitionVerdict = 'UNRECOGNIZED_VERSION')),
    ).toBe('invalid:app_unrecognized');
  });

  it('refuses an unevaluated app, whose verdict carries no package (app_unrecognized)', async () => {
    const edit = (v: PlayIntegrityVerdictJson) => {
      v.appIntegrity = { appRecognitionVerdict: 'UNEVALUATED' };
    };
    expect(await judge(edit)).toBe('invalid:app_unrecognized');
    expect(await judge(edit, { appRecognitionVerdicts: ['PLAY_RECOGNIZED', 'UNEVALUATED'] })).toBe(
      'valid',
    );
  });

  it('refuses a signing certificate missing from the allowlist (certificate_not_allowed)', async () => {
    const other = createHash('sha256').update('another certificate').digest('base64url');
    expect(await judge(undefined, { certificateSha256Digests: [other] })).toBe(
      'invalid:certificate_not_allowed',
    );
    expect(
      await judge(undefined, { certificateSha256Digests: [EXAMPLE.certificateSha256Digest] }),
    ).toBe('valid');
  });

  it('matches an allowlisted digest written in hex with colons, as Play Console shows it', async () => {
    const digest = createHash('sha256').update('the app signing certificate');
    const bytes = digest.digest();
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
    const edit = (v: PlayIntegrityVerdictJson) => {
      v.appIntegrity.certificateSha256Digest = [bytes.toString('base64url')];
    };
    expect(await judge(edit, { certificateSha256Digests: [hex] })).toBe('valid');
  });

  it.each([
    [[], 'MEETS_DEVICE_INTEGRITY', 'invalid:device_integrity_insufficient'],
    [['MEETS_BASIC_INTEGRITY'], 'MEETS_DEVICE_INTEGRITY', 'invalid:device_integrity_insufficient'],
    [['MEETS_VIRTUAL_INTEGRITY'], 'MEETS_BASIC_INTEGRITY', 'invalid:device_integrity_insufficient'],
    [['MEETS_BASIC_INTEGRITY'], 'MEETS_BASIC_INTEGRITY', 'valid'],
    [['MEETS_STRONG_INTEGRITY'], 'MEETS_DEVICE_INTEGRITY', 'valid'],
    [
      ['MEETS_BASIC_INTEGRITY', 'MEETS_DEVICE_INTEGRITY'],
      'MEETS_STRONG_INTEGRITY',
      'invalid:device_integrity_insufficient',
    ],
    [
      ['MEETS_BASIC_INTEGRITY', 'MEETS_DEVICE_INTEGRITY', 'MEETS_STRONG_INTEGRITY'],
      'MEETS_STRONG_INTEGRITY',
      'valid',
    ],
  ] as const)('device labels %j against required %s → %s', async (labels, level, expected) => {
    const edit = (v: PlayIntegrityVerdictJson) => {
      v.deviceIntegrity.deviceRecognitionVerdict = [...labels];
    };
    expect(await judge(edit, { deviceIntegrity: level })).toBe(expected);
  });

  it('refuses a device with no integrity label at all (empty deviceIntegrity)', async () => {
    expect(await judge((v) => (v.deviceIntegrity = {}))).toBe(
      'invalid:device_integrity_insufficient',
    );
  });

  it.each(['UNLICENSED', 'UNEVALUATED'])(
    'refuses a %s user by default (unlicensed)',
    async (licensing) => {
      expect(await judge((v) => (v.accountDetails.appLicensingVerdict = licensing))).toBe(
        'invalid:unlicensed',
      );
    },
  );

  it('accepts an unlicensed user when the policy says so', async () => {
    const edit = (v: PlayIntegrityVerdictJson) =>
      (v.accountDetails.appLicensingVerdict = 'UNLICENSED');
    expect(await judge(edit, { appLicensingVerdicts: ['LICENSED', 'UNLICENSED'] })).toBe('valid');
  });

  it('ignores Play Protect by default and refuses a risky or absent verdict when asked (play_protect_risk)', async () => {
    const risky = (v: PlayIntegrityVerdictJson) => {
      v.environmentDetails = { ...v.environmentDetails, playProtectVerdict: 'HIGH_RISK' };
    };
    expect(await judge(risky)).toBe('valid');
    expect(await judge(risky, { playProtectVerdicts: ['NO_ISSUES', 'NO_DATA'] })).toBe(
      'invalid:play_protect_risk',
    );
    expect(
      await judge((v) => delete v.environmentDetails, { playProtectVerdicts: ['NO_ISSUES'] }),
    ).toBe('invalid:play_protect_risk');
    expect(await judge(undefined, { playProtectVerdicts: ['NO_ISSUES'] })).toBe('valid');
  });

  it('refuses a device running an app of a refused kind, when asked (app_access_risk)', async () => {
    expect(await judge(undefined, { refusedAppsDetected: ['UNKNOWN_CAPTURING'] })).toBe(
      'invalid:app_access_risk',
    );
    expect(await judge(undefined, { refusedAppsDetected: ['UNKNOWN_CONTROLLING'] })).toBe('valid');
  });
});

describe('Play Integrity: configuration', () => {
  const verdictFor =
    (overrides: Partial<Parameters<typeof createPlayIntegrityVerifier>[0]>) => () =>
      createPlayIntegrityVerifier({
        keys,
        policy: { packageName: EXAMPLE.packageName },
        now: () => NOW,
        ...overrides,
      });

  it('refuses at construction a decryption key that is not 32 bytes of base64', () => {
    const short = Buffer.alloc(16).toString('base64');
    expect(verdictFor({ keys: { ...keys, decryptionKey: short } })).toThrow(/decryption key/);
    expect(verdictFor({ keys: { ...keys, decryptionKey: 'not base64!' } })).toThrow(
      /decryption key/,
    );
  });

  it('refuses at construction a verification key that is not a P-256 SPKI', () => {
    expect(verdictFor({ keys: { ...keys, verificationKey: 'AAAA' } })).toThrow(/verification key/);
    expect(verdictFor({ keys: { ...keys, verificationKey: keys.decryptionKey } })).toThrow(
      /verification key/,
    );
  });

  it('refuses at construction a policy without a package or with a non-positive age', () => {
    expect(verdictFor({ policy: { packageName: '' } })).toThrow(/packageName/);
    expect(verdictFor({ policy: { packageName: 'a.b', maxAgeMs: 0 } })).toThrow(/maxAgeMs/);
    expect(verdictFor({ policy: { packageName: 'a.b', certificateSha256Digests: [] } })).toThrow(
      /certificateSha256Digests/,
    );
  });

  it('fails closed when its own clock fails: indeterminate, never valid (internal_error)', async () => {
    const token = await mintPlayIntegrityToken(keys, examplePlayIntegrityVerdict());
    const broken = verdictFor({
      now: () => {
        throw new Error('clock unavailable');
      },
    })();
    const result = await broken.verify(token, STANDARD);
    expect(result.outcome === 'indeterminate' && result.reason).toBe('internal_error');
  });

  it('never echoes the token or key material in a refusal detail', async () => {
    const token = await mintPlayIntegrityToken(keys, examplePlayIntegrityVerdict(), {
      encryptWith: new Uint8Array(32),
    });
    const result = await verdictFor({})().verify(token, STANDARD);
    expect(result.outcome).toBe('invalid');
    const detail = result.outcome === 'valid' ? '' : (result.detail ?? '');
    expect(detail).not.toContain(token.slice(0, 20));
    expect(detail).not.toContain(keys.decryptionKey);
  });
});
