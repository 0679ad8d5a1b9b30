import { constants, verify, type KeyObject } from 'node:crypto';
import type { ASYMMETRIC_ALGORITHMS } from '../../config/auth-schema.js';
import { deviceKey, PRIVATE_MEMBERS } from './dpop-keys.js';

/**
 * The JWS layer of a DPoP proof (RFC 7515 compact serialisation, RFC 7518 algorithms), checked
 * with node:crypto directly rather than through WebCrypto: the proof's signature is verified with
 * a KeyObject kept per device key (dpop-keys.ts), which costs a fraction of a WebCrypto call.
 * Only what RFC 9449 section 4.3 asks of the JWS is done here (the header's `alg` on the
 * allowlist, its `jwk` a public key of the type `alg` needs, the signature by that key); the
 * claims are checked by the caller (dpop.ts).
 */

type Algorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** What a proof algorithm needs of its key and how its signature is checked. */
interface AlgorithmSpec {
  readonly kty: 'EC' | 'OKP' | 'RSA';
  /** The JWK `crv` the key must name (EC and OKP). */
  readonly crv?: string;
  /** Digest for node:crypto `verify`; null for Ed25519, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** Exact signature length for ECDSA (R and S, big-endian, fixed width: RFC 7518 3.4). */
  readonly signatureBytes?: number;
  /** RSASSA-PSS with salt length = digest length (RFC 7518 3.5); else PKCS#1 v1.5. */
  readonly pss?: boolean;
}

/** One line per algorithm the configuration may allow (auth-schema's ASYMMETRIC_ALGORITHMS). */
const ALGORITHMS = {
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', signatureBytes: 64 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', signatureBytes: 96 },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'sha512', signatureBytes: 132 },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null, signatureBytes: 64 },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', hash: null, signatureBytes: 64 },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  RS256: { kty: 'RSA', hash: 'sha256', pss: false },
  RS384: { kty: 'RSA', hash: 'sha384', pss: false },
  RS512: { kty: 'RSA', hash: 'sha512', pss: false },
} as const satisfies Record<Algorithm, AlgorithmSpec>;

/** A proof the JWS layer refuses; the message is the problem detail the client sees. */
export class ProofFault extends Error {}

/** A proof whose signature verified, decoded. */
export interface VerifiedProof {
  readonly header: Readonly<Record<string, unknown>>;
  /** The public JWK of the header (checked: public, of the type `alg` needs). */
  readonly jwk: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Decodes a compact JWS (already bounded in length by the caller) and checks it in the order
 * the faults are reported: `typ` dpop+jwt, a `jwk` that is a public key, `alg` on the
 * allowlist, no `crit`, the key fit for `alg`, the signature. Throws ProofFault.
 */
export function verifyProofJws(proof: string, allowed: readonly string[]): VerifiedProof {
  const parts = proof.split('.');
  if (parts.length !== 3) throw new ProofFault('The DPoP proof is not a compact JWT.');
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
  // Three base64url parts, so the signing input is ASCII and means the same bytes to every reader.
  if (!BASE64URL.test(encodedPayload)) throw new ProofFault('The DPoP proof is not a compact JWT.');
  const header = decodeObject(encodedHeader);
  if (header === undefined) throw new ProofFault('The DPoP proof is not a compact JWT.');

  const { typ, jwk, alg } = header;
  if (typeof typ !== 'string' || typ.toLowerCase() !== 'dpop+jwt') {
    throw new ProofFault('The DPoP proof must have typ dpop+jwt.');
  }
  if (!isObject(jwk)) throw new ProofFault('The DPoP proof must carry its public key (jwk).');
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member))) {
    throw new ProofFault('The DPoP proof key must be a public key.');
  }
  if (typeof alg !== 'string' || !allowed.includes(alg) || !Object.hasOwn(ALGORITHMS, alg)) {
    throw new ProofFault('The DPoP proof algorithm is not accepted.');
  }
  // No extension is understood, so any critical one makes the JWS invalid (RFC 7515 4.1.11).
  if (Object.hasOwn(header, 'crit')) {
    throw new ProofFault(
      'The DPoP proof has critical header parameters it cannot be checked with.',
    );
  }
  const spec: AlgorithmSpec = ALGORITHMS[alg as Algorithm];
  const key = keyFor(jwk, alg, spec);

  if (!BASE64URL.test(encodedSignature)) {
    throw new ProofFault('The DPoP proof signature is invalid.');
  }
  const signature = Buffer.from(encodedSignature, 'base64url');
  if (!signatureVerifies(spec, key, `${encodedHeader}.${encodedPayload}`, signature)) {
    throw new ProofFault('The DPoP proof signature is invalid.');
  }
  const payload = decodeObject(encodedPayload);
  if (payload === undefined) throw new ProofFault('The DPoP proof is not a valid signed JWT.');
  return { header, jwk, payload };
}

/** The KeyObject of `jwk` when it is the key type `alg` needs; otherwise ProofFault. */
function keyFor(jwk: Record<string, unknown>, alg: string, spec: AlgorithmSpec): KeyObject {
  const wrongKey = () => new ProofFault(`The DPoP proof key does not fit its algorithm ${alg}.`);
  if (jwk['kty'] !== spec.kty) throw wrongKey();
  if (spec.crv !== undefined && jwk['crv'] !== spec.crv) throw wrongKey();
  // A key restricted to another algorithm or use (RFC 7517 4.2, 4.4) is not this proof's key.
  if (jwk['alg'] !== undefined && jwk['alg'] !== alg) throw wrongKey();
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') throw wrongKey();
  const key = deviceKey(jwk);
  if (key === undefined) throw new ProofFault('The DPoP proof key is not a valid public key.');
  return key;
}

/**
 * node:crypto verify with the JWA parameters of the algorithm. ECDSA signatures are R and S of
 * fixed width (`ieee-p1363`), refused at any other length; a "high-S" signature is as valid as
 * its low-S twin (ECDSA does not tell them apart, nor does WebCrypto), and a replay with it
 * is still caught by `jti`. Anything OpenSSL cannot even parse is simply not valid.
 */
function signatureVerifies(
  spec: AlgorithmSpec,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  if (spec.signatureBytes !== undefined && signature.length !== spec.signatureBytes) return false;
  const data = Buffer.from(signingInput, 'ascii');
  try {
    if (spec.kty === 'EC') {
      return verify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (spec.kty === 'RSA') {
      return verify(
        spec.hash,
        data,
        spec.pss === true
          ? {
              key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
            }
          : { key, padding: constants.RSA_PKCS1_PADDING },
        signature,
      );
    }
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

/** A base64url JSON object, or undefined when it is anything else. */
function decodeObject(encoded: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(encoded)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
