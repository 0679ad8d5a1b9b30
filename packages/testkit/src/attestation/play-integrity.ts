import { randomBytes } from 'node:crypto';
import {
  base64url,
  CompactEncrypt,
  CompactSign,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
} from 'jose';

/**
 * Play Integrity verdict tokens for tests, made as Google makes them for a team that decrypts
 * and verifies locally: the verdict JSON signed ES256 (compact JWS), then encrypted A256KW +
 * A256GCM (compact JWE), with keys the test makes here in the form Play Console hands them out.
 * The example verdict reproduces Google's documented example ("Integrity verdicts",
 * developer.android.com/google/play/integrity/verdicts) field for field. Each knob of
 * `mintPlayIntegrityToken` makes one kind of bad token.
 */

export interface PlayIntegrityTestKeys {
  /** base64 of a random 32-byte AES key: Play Console's "decryption key". */
  readonly decryptionKey: string;
  /** base64 DER SPKI of the signing key's public half: Play Console's "verification key". */
  readonly verificationKey: string;
  /** The raw AES key behind `decryptionKey`. */
  readonly aesKey: Uint8Array;
  /** Google's side: the P-256 private key that signs verdicts. */
  readonly signingKey: CryptoKey;
}

export async function createPlayIntegrityKeys(): Promise<PlayIntegrityTestKeys> {
  const aesKey = new Uint8Array(randomBytes(32));
  const pair = await generateKeyPair('ES256', { extractable: true });
  const pem = await exportSPKI(pair.publicKey);
  const verificationKey = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  return {
    decryptionKey: Buffer.from(aesKey).toString('base64'),
    verificationKey,
    aesKey,
    signingKey: pair.privateKey,
  };
}

/** The verdict JSON as this module builds it; tests mutate a copy to make bad verdicts. */
export interface PlayIntegrityVerdictJson {
  requestDetails: {
    requestPackageName: string;
    requestHash?: string;
    nonce?: string;
    timestampMillis: string;
  };
  appIntegrity: {
    appRecognitionVerdict: string;
    packageName?: string;
    certificateSha256Digest?: string[];
    versionCode?: string;
  };
  deviceIntegrity: {
    deviceRecognitionVerdict?: string[];
    recentDeviceActivity?: { deviceActivityLevel: string };
  };
  accountDetails: { appLicensingVerdict: string };
  environmentDetails?: {
    playProtectVerdict?: string;
    appAccessRiskVerdict?: { appsDetected?: string[] };
  };
}

/** The values of Google's documented example. */
export const PLAY_INTEGRITY_EXAMPLE = {
  packageName: 'com.package.name',
  /** Both the standard example's requestHash and the classic example's nonce. */
  requestHash: 'aGVsbG8gd29scmQgdGhlcmU',
  nonce: 'aGVsbG8gd29scmQgdGhlcmU',
  timestampMillis: 1_675_655_009_345,
  certificateSha256Digest: '6a6a1474b5cbbb2b1aa57e0bc3',
  versionCode: '42',
} as const;

/**
 * Google's documented example verdict, a fresh copy each call: a standard request (bound by
 * `requestHash`) or a classic one (bound by `nonce`).
 */
export function examplePlayIntegrityVerdict(
  kind: 'standard' | 'classic' = 'standard',
): PlayIntegrityVerdictJson {
  const e = PLAY_INTEGRITY_EXAMPLE;
  return {
    requestDetails: {
      requestPackageName: e.packageName,
      ...(kind === 'standard' ? { requestHash: e.requestHash } : { nonce: e.nonce }),
      timestampMillis: String(e.timestampMillis),
    },
    appIntegrity: {
      appRecognitionVerdict: 'PLAY_RECOGNIZED',
      packageName: e.packageName,
      certificateSha256Digest: [e.certificateSha256Digest],
      versionCode: e.versionCode,
    },
    deviceIntegrity: { deviceRecognitionVerdict: ['MEETS_DEVICE_INTEGRITY'] },
    accountDetails: { appLicensingVerdict: 'LICENSED' },
    environmentDetails: {
      playProtectVerdict: 'NO_ISSUES',
      appAccessRiskVerdict: {
        appsDetected: ['KNOWN_INSTALLED', 'UNKNOWN_INSTALLED', 'UNKNOWN_CAPTURING'],
      },
    },
  };
}

/** One knob per kind of bad token; none set makes a token Google would make. */
export interface PlayIntegrityTokenOptions {
  /** Encrypt under this 32-byte key instead of the team's (→ decrypt fails). */
  readonly encryptWith?: Uint8Array;
  /** Sign with this P-256 private key instead of Google's (→ signature fails). */
  readonly signWith?: CryptoKey;
  /** JWE key management other than A256KW; `dir` uses the team key as the content key. */
  readonly keyManagement?: 'A256KW' | 'A128KW' | 'dir';
  /** JWE content encryption other than A256GCM. */
  readonly contentEncryption?: 'A256GCM' | 'A128GCM' | 'A256CBC-HS512';
  /** `HS256`: HMAC with the team's AES key (algorithm confusion); `none`: unsigned. */
  readonly signatureAlgorithm?: 'ES256' | 'HS256' | 'none';
  /** Bytes signed instead of the verdict's JSON (→ not a verdict). */
  readonly rawPayload?: Uint8Array;
  /** Bytes encrypted instead of a JWS (→ nothing verifiable inside). */
  readonly rawPlaintext?: Uint8Array;
}

/** A Play Integrity token carrying `verdict`, as the app would receive it from Google. */
export async function mintPlayIntegrityToken(
  keys: PlayIntegrityTestKeys,
  verdict: PlayIntegrityVerdictJson | Record<string, unknown>,
  options: PlayIntegrityTokenOptions = {},
): Promise<string> {
  const payload = options.rawPayload ?? new TextEncoder().encode(JSON.stringify(verdict));
  const plaintext = options.rawPlaintext ?? (await sign(keys, payload, options));
  const alg = options.keyManagement ?? 'A256KW';
  const enc = options.contentEncryption ?? 'A256GCM';
  const teamKey = options.encryptWith ?? keys.aesKey;
  const key = alg === 'A128KW' ? teamKey.slice(0, 16) : teamKey;
  return new CompactEncrypt(plaintext).setProtectedHeader({ alg, enc }).encrypt(key);
}

async function sign(
  keys: PlayIntegrityTestKeys,
  payload: Uint8Array,
  options: PlayIntegrityTokenOptions,
): Promise<Uint8Array> {
  const alg = options.signatureAlgorithm ?? 'ES256';
  if (alg === 'none') {
    const header = base64url.encode(JSON.stringify({ alg: 'none' }));
    return new TextEncoder().encode(`${header}.${base64url.encode(payload)}.`);
  }
  const key = alg === 'HS256' ? keys.aesKey : (options.signWith ?? keys.signingKey);
  const jws = await new CompactSign(payload).setProtectedHeader({ alg }).sign(key);
  return new TextEncoder().encode(jws);
}
