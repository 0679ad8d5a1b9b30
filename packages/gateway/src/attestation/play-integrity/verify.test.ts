import { randomBytes } from 'node:crypto';
import {
  createPlayIntegrityKeys,
  examplePlayIntegrityVerdict,
  mintPlayIntegrityToken,
  PLAY_INTEGRITY_EXAMPLE as EXAMPLE,
  type PlayIntegrityTestKeys,
  type PlayIntegrityTokenOptions,
  type PlayIntegrityVerdictJson,
} from '@rampart/testkit';
import { generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createPlayIntegrityVerifier,
  type PlayIntegrityBinding,
  type PlayIntegrityPolicy,
} from './index.js';

const STANDARD: PlayIntegrityBinding = { kind: 'standard', requestHash: EXAMPLE.requestHash };
const CLASSIC: PlayIntegrityBinding = { kind: 'classic', nonce: EXAMPLE.nonce };
/** The clock one second after Google's example token was prepared. */
const NOW = EXAMPLE.timestampMillis + 1_000;

let keys: PlayIntegrityTestKeys;
beforeAll(async () => {
  keys = await createPlayIntegrityKeys();
});

function verifier(policy: Partial<PlayIntegrityPolicy> = {}, now = NOW) {
  return createPlayIntegrityVerifier({
    keys,
    policy: { packageName: EXAMPLE.packageName, ...policy },
    now: () => now,
  });
}

/** Verifies Google's example verdict after `edit`, minted with `options`. */
async function judge(
  edit: (verdict: PlayIntegrityVerdictJson) => void = () => undefined,
  {
    policy = {},
    binding = STANDARD,
    now = NOW,
    options = {},
  }: {
    policy?: Partial<PlayIntegrityPolicy>;
    binding?: PlayIntegrityBinding;
    now?: number;
    options?: PlayIntegrityTokenOptions;
  } = {},
) {
  const verdict = examplePlayIntegrityVerdict(binding.kind);
  edit(verdict);
  const token = await mintPlayIntegrityToken(keys, verdict, options);
  return verifier(policy, now).verify(token, binding);
}

const reasonOf = async (result: ReturnType<typeof judge>) => {
  const verdict = await result;
  return verdict.outcome === 'valid' ? 'valid' : `${verdict.outcome}:${verdict.reason}`;
};

describe('Play Integrity: genuine tokens', () => {
  it("accepts Google's documented standard-request example and returns every verdict in it", async () => {
    const result = await judge();
    expect(result).toEqual({
      outcome: 'valid',
      value: {
        requestKind: 'standard',
        packageName: 'com.package.name',
        timestampMs: 1_675_655_009_345,
        appRecognitionVerdict: 'PLAY_RECOGNIZED',
        versionCode: '42',
        certificateSha256Digests: ['6a6a1474b5cbbb2b1aa57e0bc3'],
        deviceRecognitionVerdicts: ['MEETS_DEVICE_INTEGRITY'],
        appLicensingVerdict: 'LICENSED',
        playProtectVerdict: 'NO_ISSUES',
        appsDetected: ['KNOWN_INSTALLED', 'UNKNOWN_INSTALLED', 'UNKNOWN_CAPTURING'],
      },
    });
  });

  it("accepts Google's classic-request example bound by its nonce", async () => {
    const result = await judge(undefined, { binding: CLASSIC });
    expect(result.outcome).toBe('valid');
    if (result.outcome === 'valid') expect(result.value.requestKind).toBe('classic');
  });

  it('matches a nonce Google echoes padded or in the standard base64 alphabet', async () => {
    const issued = Buffer.from(randomBytes(32)).toString('base64url');
    const echoed = Buffer.from(issued, 'base64url').toString('base64');
    const result = await judge((v) => (v.requestDetails.nonce = echoed), {
      binding: { kind: 'classic', nonce: issued },
    });
    expect(result.outcome).toBe('valid');
  });

  it('reports the recent device activity level when Google includes it', async () => {
    const result = await judge((v) => {
      v.deviceIntegrity.recentDeviceActivity = { deviceActivityLevel: 'LEVEL_2' };
    });
    expect(result.outcome === 'valid' && result.value.deviceActivityLevel).toBe('LEVEL_2');
  });
});

describe('Play Integrity: tokens that are not what Google sends', () => {
  it('refuses a token over the length bound before decoding it (too_large)', async () => {
    const huge = `${'a'.repeat(9_000)}.${'a'.repeat(9_000)}.a.a.a`;
    expect(await reasonOf(verifier().verify(huge, STANDARD))).toBe('invalid:too_large');
  });

  it.each([
    ['empty', ''],
    ['not JOSE', 'hello world'],
    ['four segments', 'a.b.c.d'],
    ['six segments', 'a.b.c.d.e.f'],
    ['non-base64url characters', 'a+b.c.d.e.f/'],
  ])('refuses a token that is not a compact JWE (%s)', async (_name, token) => {
    expect(await reasonOf(verifier().verify(token, STANDARD))).toBe('invalid:token_malformed');
  });

  it('refuses a token altered only in the unused bits of a segment (non-canonical base64url)', async () => {
    const token = await mintPlayIntegrityToken(keys, examplePlayIntegrityVerdict());
    const parts = token.split('.');
    const tag = parts[4] ?? '';
    // A 16-byte tag is 22 characters carrying 4 spare bits: flipping the lowest keeps the bytes.
    const last = tag.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1] ?? 'A';
    parts[4] = tag.slice(0, -1) + twin;
    const altered = parts.join('.');
    expect(Buffer.from(parts[4], 'base64url')).toEqual(Buffer.from(tag, 'base64url'));
    expect(await reasonOf(verifier().verify(altered, STANDARD))).toBe('invalid:token_malformed');
  });

  it('refuses a bare signed verdict that was never encrypted (token_malformed)', async () => {
    const token = await mintPlayIntegrityToken(keys, examplePlayIntegrityVerdict());
    const jws = token.split('.').slice(0, 3).join('.');
    expect(await reasonOf(verifier().verify(jws, STANDARD))).toBe('invalid:token_malformed');
  });

  it.each<[string, PlayIntegrityTokenOptions]>([
    ['key wrapped with A128KW', { keyManagement: 'A128KW' }],
    ['direct encryption (dir)', { keyManagement: 'dir' }],
    ['content encrypted with A128GCM', { contentEncryption: 'A128GCM' }],
    ['content encrypted with A256CBC-HS512', { contentEncryption: 'A256CBC-HS512' }],
    ['inner JWS keyed by HMAC with the AES key (HS256)', { signatureAlgorithm: 'HS256' }],
    ['inner JWS unsigned (alg none)', { signatureAlgorithm: 'none' }],
  ])('refuses a token with %s (algorithm_not_allowed)', async (_name, options) => {
    expect(await reasonOf(judge(undefined, { options }))).toBe('invalid:algorithm_not_allowed');
  });

  it('refuses a token encrypted under another key (decrypt_failed)', async () => {
    const options = { encryptWith: new Uint8Array(randomBytes(32)) };
    expect(await reasonOf(judge(undefined, { options }))).toBe('invalid:decrypt_failed');
  });

  it('refuses a verdict signed by a key other than Google’s (signature_invalid)', async () => {
    const forger = await generateKeyPair('ES256');
    const options = { signWith: forger.privateKey };
    expect(await reasonOf(judge(undefined, { options }))).toBe('invalid:signature_invalid');
  });

  it('refuses a token whose plaintext is not a JWS (token_malformed)', async () => {
    const options = { rawPlaintext: new TextEncoder().encode('{"verdict":"trust me"}') };
    expect(await reasonOf(judge(undefined, { options }))).toBe('invalid:token_malformed');
  });

  it.each<[string, PlayIntegrityTokenOptions | ((v: PlayIntegrityVerdictJson) => void)]>([
    ['a payload that is not JSON', { rawPayload: new TextEncoder().encode('not json') }],
    ['a JSON array', { rawPayload: new TextEncoder().encode('[1,2,3]') }],
    ['no requestDetails', (v) => Reflect.deleteProperty(v, 'requestDetails')],
    ['no accountDetails', (v) => Reflect.deleteProperty(v, 'accountDetails')],
    ['a timestamp that is not a number', (v) => (v.requestDetails.timestampMillis = 'yesterday')],
    ['an oversized package name', (v) => (v.requestDetails.requestPackageName = 'a'.repeat(300))],
    [
      'too many device labels',
      (v) => (v.deviceIntegrity.deviceRecognitionVerdict = Array.from({ length: 17 }, () => 'X')),
    ],
  ])('refuses a signed payload with %s (verdict_malformed)', async (_name, change) => {
    const result =
      typeof change === 'function' ? judge(change) : judge(undefined, { options: change });
    expect(await reasonOf(result)).toBe('invalid:verdict_malformed');
  });
});
