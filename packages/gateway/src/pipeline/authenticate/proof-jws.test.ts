import fc from 'fast-check';
import { EmbeddedJWK, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProofFault, verifyProofJws } from './proof-jws.js';

const ALL = ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'PS384', 'PS512', 'RS256', 'RS512'];
const CLAIMS = { htm: 'POST', htu: 'https://ai.example.com/v1/x', iat: 1_800_000_000, jti: 'j' };

async function proofOf(alg: string, header: Record<string, unknown> = {}, claims = CLAIMS) {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  const proof = await new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...header })
    .sign(pair.privateKey);
  return { proof, jwk, pair };
}

/** An ES256 compact JWS of any header and payload text, signed with node:crypto. */
function signRaw(header: Record<string, unknown>, payload: string, key: CryptoKey): string {
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  const input = `${encode(JSON.stringify(header))}.${encode(payload)}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: KeyObject.from(key),
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

function fault(proof: string, allowed: readonly string[] = ALL): string {
  try {
    verifyProofJws(proof, allowed);
  } catch (error) {
    if (error instanceof ProofFault) return error.message;
    throw error;
  }
  return 'accepted';
}

/** Replaces the header of a compact JWS (the signature no longer matches it). */
function withHeader(proof: string, header: Record<string, unknown>): string {
  const [, payload, signature] = proof.split('.');
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
}

/** The order of the P-256 group. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function highS(proof: string): string {
  const [header, payload, signature = ''] = proof.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const twin = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), twin]).toString('base64url')}`;
}

describe('DPoP proof JWS checked with node:crypto', () => {
  it.each(ALL)('verifies a %s proof and returns its claims and public key', async (alg) => {
    const { proof, jwk } = await proofOf(alg);
    const verified = verifyProofJws(proof, ALL);
    expect(verified.payload).toEqual(CLAIMS);
    expect(verified.jwk).toEqual(jwk);
  });

  it('refuses an algorithm that is not on the allowlist, though the signature is good', async () => {
    const { proof } = await proofOf('ES384');
    expect(fault(proof, ['ES256'])).toBe('The DPoP proof algorithm is not accepted.');
  });

  it('refuses a jwk whose crv does not match alg (a P-384 key under ES256)', async () => {
    const { proof, jwk } = await proofOf('ES384');
    const header = { alg: 'ES256', typ: 'dpop+jwt', jwk };
    expect(fault(withHeader(proof, header))).toMatch(/does not fit its algorithm ES256/);
  });

  it('refuses a jwk whose kty does not match alg (an EC key under RS256, RSA under ES256)', async () => {
    const ec = await proofOf('ES256');
    const rsa = await proofOf('RS256');
    expect(fault(withHeader(ec.proof, { alg: 'RS256', typ: 'dpop+jwt', jwk: ec.jwk }))).toMatch(
      /does not fit/,
    );
    expect(fault(withHeader(rsa.proof, { alg: 'ES256', typ: 'dpop+jwt', jwk: rsa.jwk }))).toMatch(
      /does not fit/,
    );
  });

  it('refuses an RSA key under PS256 when the proof was signed PKCS#1 v1.5 (RS256)', async () => {
    const { proof, jwk } = await proofOf('RS256');
    const header = { alg: 'PS256', typ: 'dpop+jwt', jwk };
    // Same key, same signing input bytes aside from the header: a padding confusion fails.
    const [, payload] = proof.split('.');
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}`;
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const signature = sign('sha256', Buffer.from(input), privateKey).toString('base64url');
    expect(fault(`${input}.${signature}`)).toBe('The DPoP proof signature is invalid.');
  });

  it('refuses a jwk restricted to another alg or use', async () => {
    const { proof, jwk } = await proofOf('ES256');
    for (const extra of [{ alg: 'ES384' }, { use: 'enc' }]) {
      const header = { alg: 'ES256', typ: 'dpop+jwt', jwk: { ...jwk, ...extra } };
      expect(fault(withHeader(proof, header))).toMatch(/does not fit/);
    }
  });

  it('refuses an RSA proof key under 2048 bits', () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'RS256', typ: 'dpop+jwt', jwk })}.${encode(CLAIMS)}`;
    const signature = sign('sha256', Buffer.from(input), pair.privateKey).toString('base64url');
    expect(fault(`${input}.${signature}`)).toBe('The DPoP proof key is not a valid public key.');
  });

  it('refuses any critical header parameter (none is understood)', async () => {
    const { jwk, pair } = await proofOf('ES256');
    const header = { alg: 'ES256', typ: 'dpop+jwt', jwk, crit: ['b64'], b64: true };
    expect(fault(signRaw(header, JSON.stringify(CLAIMS), pair.privateKey))).toMatch(
      /critical header/,
    );
  });

  it('accepts the high-S twin of an ECDSA signature, as WebCrypto and jose do', async () => {
    const { proof } = await proofOf('ES256');
    const twin = highS(proof);
    expect(twin).not.toBe(proof);
    expect(fault(twin)).toBe('accepted');
    await expect(
      jwtVerify(twin, EmbeddedJWK, { algorithms: ['ES256'], typ: 'dpop+jwt' }),
    ).resolves.toBeDefined();
  });

  it('refuses ECDSA signatures of the wrong length, r or s zero, or r and s beyond the order', async () => {
    const { proof } = await proofOf('ES256');
    const [header, payload, signature = ''] = proof.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    const order = Buffer.from(P256_N.toString(16), 'hex');
    const variants = [
      Buffer.alloc(0),
      bytes.subarray(0, 63),
      Buffer.concat([bytes, Buffer.alloc(1)]),
      Buffer.concat([Buffer.alloc(1), bytes]).subarray(0, 64),
      Buffer.concat([Buffer.alloc(32), bytes.subarray(32)]),
      Buffer.concat([bytes.subarray(0, 32), Buffer.alloc(32)]),
      Buffer.concat([order, bytes.subarray(32)]),
      Buffer.concat([bytes.subarray(0, 32), order]),
      Buffer.alloc(64, 0xff),
    ];
    for (const variant of variants) {
      expect(fault(`${header}.${payload}.${variant.toString('base64url')}`)).toBe(
        'The DPoP proof signature is invalid.',
      );
    }
  });

  it('refuses what is not a compact JWS with a JSON object header and payload', async () => {
    const { proof } = await proofOf('ES256');
    const [header, payload, signature] = proof.split('.');
    const array = Buffer.from('[1]').toString('base64url');
    for (const bad of [
      '',
      'a.b',
      `${header}.${payload}.${signature}.x`,
      `${header}.${payload}`,
      `${array}.${payload}.${signature}`,
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}+.${signature}`,
    ]) {
      expect(fault(bad)).not.toBe('accepted');
    }
    // A validly signed proof whose payload is not a JSON object.
    const { jwk, pair } = await proofOf('ES256');
    const signed = signRaw({ alg: 'ES256', typ: 'dpop+jwt', jwk }, '[]', pair.privateKey);
    expect(fault(signed)).toBe('The DPoP proof is not a valid signed JWT.');
  });

  it('mutated proofs: refused with a ProofFault, never another error, and never accepted where jose refuses', async () => {
    const proofs = await Promise.all(['ES256', 'EdDSA', 'PS256'].map((alg) => proofOf(alg)));
    const alphabet = 'ABCabc012-_.= "{}\\\u00e9';
    await fc.assert(
      fc.asyncProperty(
        fc.nat(proofs.length - 1),
        fc.array(
          fc.record({
            at: fc.nat(2000),
            cut: fc.integer({ min: 0, max: 4 }),
            insert: fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (which, edits) => {
          let mutated = proofs[which]?.proof ?? '';
          for (const { at, cut, insert } of edits) {
            const i = at % (mutated.length + 1);
            mutated = mutated.slice(0, i) + insert + mutated.slice(i + cut);
          }
          const ours = fault(mutated);
          if (ours === 'accepted') {
            await expect(
              jwtVerify(mutated, EmbeddedJWK, { algorithms: ALL, typ: 'dpop+jwt' }),
            ).resolves.toBeDefined();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
