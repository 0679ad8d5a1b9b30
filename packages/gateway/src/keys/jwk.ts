import { calculateJwkThumbprint } from 'jose';
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { KeyProblem, isRecord } from './problem.js';
import type { KeySpec } from './specs.js';

/** A key as held in memory: node:crypto KeyObjects, which never print their material. */
export interface KeyMaterial {
  readonly kid: string;
  /** The private key (asymmetric kinds) or the secret key. */
  readonly key: KeyObject;
  readonly publicKey: KeyObject | undefined;
}

const SECRET_BYTES = 32;
const KID = /^[\x21-\x7e]{1,128}$/;

export async function generateKey(spec: KeySpec): Promise<KeyMaterial> {
  if (spec.kind === 'secret-256') {
    // A random kid: deriving it from the secret would publish a hash of the secret.
    const key = createSecretKey(randomBytes(SECRET_BYTES));
    return { kid: randomBytes(12).toString('base64url'), key, publicKey: undefined };
  }
  const { privateKey, publicKey } =
    spec.kind === 'ec-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  return { kid: await calculateJwkThumbprint(publicKey), key: privateKey, publicKey };
}

/**
 * Validates and imports a private or secret JWK for `spec`. Asymmetric keys without a kid get
 * their RFC 7638 thumbprint (jose's), which every replica computes alike; secret keys must carry
 * one. The checks below are Rampart's policy and name the member at fault; the JWK itself is
 * read by node:crypto.
 */
export async function importKey(spec: KeySpec, value: unknown, path: string): Promise<KeyMaterial> {
  if (!isRecord(value)) throw new KeyProblem(path, 'must be a JWK object');
  const field = (name: string) => `${path}.${name}`;
  const ec = spec.kind === 'ec-p256';
  // The key type first: a key of the wrong kind is the likeliest mistake and the clearest error.
  expect(value, 'kty', spec.kind === 'secret-256' ? 'oct' : ec ? 'EC' : 'OKP', path);
  if (spec.kind !== 'secret-256') expect(value, 'crv', ec ? 'P-256' : 'Ed25519', path);
  if (value.alg !== undefined && value.alg !== spec.alg) {
    throw new KeyProblem(field('alg'), `must be "${spec.alg}"`);
  }
  if (value.use !== undefined && value.use !== spec.use) {
    throw new KeyProblem(field('use'), `must be "${spec.use}"`);
  }
  const kid = value.kid;
  if (kid !== undefined && (typeof kid !== 'string' || !KID.test(kid))) {
    throw new KeyProblem(field('kid'), 'must be 1 to 128 printable ASCII characters');
  }

  if (spec.kind === 'secret-256') {
    const k = base64url(value.k, field('k'));
    if (k.length !== SECRET_BYTES) {
      throw new KeyProblem(field('k'), `must encode exactly ${SECRET_BYTES} bytes`);
    }
    if (kid === undefined) {
      throw new KeyProblem(
        field('kid'),
        'is required for a secret key, so that replicas agree on it',
      );
    }
    return { kid, key: createSecretKey(k), publicKey: undefined };
  }

  if (value.d === undefined) {
    throw new KeyProblem(
      field('d'),
      'is missing: a private key is needed, not only its public part',
    );
  }
  const kty = ec ? 'EC' : 'OKP';
  const crv = ec ? 'P-256' : 'Ed25519';
  const x = text(value.x, field('x'));
  const d = text(value.d, field('d'));
  const publicPart: JsonWebKey = ec
    ? { kty, crv, x, y: text(value.y, field('y')) }
    : { kty, crv, x };
  const jwk: JsonWebKey = { ...publicPart, d };
  let key: KeyObject;
  let publicKey: KeyObject;
  try {
    key = createPrivateKey({ key: jwk, format: 'jwk' });
    publicKey = createPublicKey({ key: publicPart, format: 'jwk' });
  } catch {
    throw new KeyProblem(path, `is not a valid ${ec ? 'P-256' : 'Ed25519'} private key`);
  }
  // Node keeps an EC JWK's x and y as given without checking them against d: a signature
  // proves the pair belongs together, or the JWKS would publish a key nothing signs with.
  const probe = Buffer.from('rampart key pair check');
  const digest = ec ? 'sha256' : null;
  if (!verify(digest, probe, publicKey, sign(digest, probe, key))) {
    throw new KeyProblem(path, 'has a public part (x, y) that does not match its private key (d)');
  }
  return { kid: kid ?? (await calculateJwkThumbprint(publicPart)), key, publicKey };
}

/** The JWK Rampart writes: the private or secret key with kid, alg and use. */
export function privateJwk(material: KeyMaterial, spec: KeySpec): JsonWebKey {
  return {
    ...material.key.export({ format: 'jwk' }),
    kid: material.kid,
    alg: spec.alg,
    use: spec.use,
  };
}

/** The public JWK for a JWKS; undefined for secret keys. */
export function publicJwk(material: KeyMaterial, spec: KeySpec): JsonWebKey | undefined {
  if (material.publicKey === undefined) return undefined;
  return {
    ...material.publicKey.export({ format: 'jwk' }),
    kid: material.kid,
    alg: spec.alg,
    use: spec.use,
  };
}

function expect(jwk: Record<string, unknown>, member: string, wanted: string, path: string): void {
  if (jwk[member] !== wanted) throw new KeyProblem(`${path}.${member}`, `must be "${wanted}"`);
}

/** A base64url member, returned as the string it is. */
function text(value: unknown, path: string): string {
  base64url(value, path);
  return value as string;
}

function base64url(value: unknown, path: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new KeyProblem(path, 'must be a base64url string');
  }
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.toString('base64url') !== value)
    throw new KeyProblem(path, 'is not canonical base64url');
  return bytes;
}
