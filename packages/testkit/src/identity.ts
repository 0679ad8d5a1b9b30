import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

/**
 * A mock OAuth 2.0 token issuer for tests and benchmarks: it serves a JWKS on 127.0.0.1 and mints
 * access tokens signed with its keys, and it makes DPoP keys and proofs (RFC 9449) as an app
 * would. Plain `node:http`, keys made with jose at start; nothing is persisted.
 */

/** The algorithms the issuer holds a key for, each under kid `key-<alg>`. */
export type IssuerAlgorithm = 'RS256' | 'ES256' | 'EdDSA';
const ALGORITHMS: readonly IssuerAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

export interface MockIssuerOptions {
  /** The `iss` to mint; default `http://127.0.0.1:PORT` (the JWKS server's own URL). */
  readonly issuer?: string;
  /** The default `aud`; default `https://rampart.test`. */
  readonly audience?: string;
}

export interface TokenOptions {
  /** Signing algorithm (the issuer's key for it); default ES256. */
  readonly alg?: IssuerAlgorithm;
  /** Header members merged over `{ alg, kid, typ: 'at+jwt' }` (to test `jku`, `kid`, …). */
  readonly header?: Record<string, unknown>;
  /** Seconds since the epoch used for `iat`, `nbf` and `exp` (default: now). */
  readonly now?: number;
  /** Lifetime in seconds; default 300. */
  readonly expiresIn?: number;
  /** Binds the token to a DPoP key (`cnf.jkt`). */
  readonly dpop?: DpopKey;
}

export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key: what `cnf.jkt` carries. */
  readonly jkt: string;
  readonly alg: IssuerAlgorithm;
}

export interface ProofOptions {
  readonly htm: string;
  readonly htu: string;
  /** The access token the proof accompanies: sets `ath`. */
  readonly accessToken?: string;
  /** Seconds since the epoch; default now. */
  readonly iat?: number;
  /** Default: a random UUID. */
  readonly jti?: string;
  /** Claims merged over the computed ones (set one to undefined to leave it out). */
  readonly claims?: Record<string, unknown>;
  /** Header members merged over `{ alg, typ: 'dpop+jwt', jwk }`. */
  readonly header?: Record<string, unknown>;
}

export interface MockIssuer {
  /** The `iss` the tokens carry. */
  readonly issuer: string;
  /** Where the JWKS is served (`/jwks`). */
  readonly jwksUri: string;
  readonly audience: string;
  /** JWKS requests served so far. */
  readonly jwksRequests: number;
  /** While down, the JWKS endpoint answers 503. */
  down: boolean;
  /** The public key of `alg` as served in the JWKS. */
  publicJwk(alg?: IssuerAlgorithm): JWK;
  /** A signed access token: `sub` `user-1`, `aud`, `iss`, `iat`, `nbf`, `exp`, `jti`, then `claims`. */
  accessToken(claims?: JWTPayload, options?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

interface KeyEntry {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function startMockIssuer(options: MockIssuerOptions = {}): Promise<MockIssuer> {
  const keys = new Map<IssuerAlgorithm, KeyEntry>();
  for (const alg of ALGORITHMS) {
    const pair = await generateKeyPair(alg);
    const jwk = await exportJWK(pair.publicKey);
    keys.set(alg, {
      privateKey: pair.privateKey,
      publicJwk: { ...jwk, kid: `key-${alg}`, alg, use: 'sig' },
    });
  }
  const state = { down: false, requests: 0 };
  const server: Server = createServer((request, response) => {
    if (request.url !== '/jwks') {
      response.writeHead(404).end();
      return;
    }
    state.requests++;
    if (state.down) {
      response.writeHead(503).end();
      return;
    }
    const body = JSON.stringify({ keys: [...keys.values()].map((entry) => entry.publicJwk) });
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const issuer = options.issuer ?? base;
  const audience = options.audience ?? 'https://rampart.test';
  const keyOf = (alg: IssuerAlgorithm): KeyEntry => keys.get(alg) as KeyEntry;

  return {
    issuer,
    jwksUri: `${base}/jwks`,
    audience,
    get jwksRequests() {
      return state.requests;
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    publicJwk: (alg = 'ES256') => keyOf(alg).publicJwk,
    accessToken(claims = {}, tokenOptions = {}) {
      const alg = tokenOptions.alg ?? 'ES256';
      const now = tokenOptions.now ?? Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        iss: issuer,
        sub: 'user-1',
        aud: audience,
        iat: now,
        nbf: now,
        exp: now + (tokenOptions.expiresIn ?? 300),
        jti: randomUUID(),
        ...(tokenOptions.dpop === undefined ? {} : { cnf: { jkt: tokenOptions.dpop.jkt } }),
        ...claims,
      };
      return new SignJWT(payload)
        .setProtectedHeader({ alg, kid: `key-${alg}`, typ: 'at+jwt', ...tokenOptions.header })
        .sign(keyOf(alg).privateKey);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A device's DPoP key pair, as an app keeps it (ES256 by default). */
export async function createDpopKey(alg: IssuerAlgorithm = 'ES256'): Promise<DpopKey> {
  const pair = await generateKeyPair(alg);
  const publicJwk = await exportJWK(pair.publicKey);
  return {
    privateKey: pair.privateKey,
    publicJwk,
    jkt: await calculateJwkThumbprint(publicJwk),
    alg,
  };
}

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 section 4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

/** A DPoP proof JWT for one request (RFC 9449 section 4.2). */
export function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.accessToken === undefined ? {} : { ath: accessTokenHash(options.accessToken) }),
    ...options.claims,
  };
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) delete payload[name];
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...options.header })
    .sign(key.privateKey);
}
