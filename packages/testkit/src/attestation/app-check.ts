import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A stand-in for Firebase App Check's token service in tests: it serves a JWKS on 127.0.0.1
 * (at `/v1/jwks`, like https://firebaseappcheck.googleapis.com/v1/jwks) and mints App Check
 * tokens shaped as Firebase documents them — header `{ alg: RS256, typ: JWT, kid }`, claims
 * `iss` https://firebaseappcheck.googleapis.com/<project number>, `sub` the app id, `aud`
 * [projects/<number>, projects/<project id>], `iat`, `exp`, `jti`. Keys are made at start.
 */

export interface MockAppCheckOptions {
  /** Default `123456789012`. */
  readonly projectNumber?: string;
  /** Default `rampart-test`. */
  readonly projectId?: string;
  /** The app id tokens are minted for by default; default `1:<number>:android:0a1b2c3d4e5f6789`. */
  readonly appId?: string;
}

export interface AppCheckTokenOptions {
  /** `iat` in seconds since the epoch; default the real clock. */
  readonly now?: number;
  /** Lifetime in seconds; default 3600 (Firebase's default is one hour). */
  readonly expiresIn?: number;
  /** Header members merged over `{ alg, typ: 'JWT', kid }`. */
  readonly header?: Record<string, unknown>;
  /**
   * Another algorithm (→ refused): `HS256` keys an HMAC with the served public JWK's JSON (the
   * algorithm-confusion attack); the others sign with a fresh key of their own.
   */
  readonly alg?: 'RS256' | 'PS256' | 'RS384' | 'ES256' | 'HS256';
  /** Sign with an RSA key that is not in the JWKS, under the served `kid` (→ bad signature). */
  readonly unservedKey?: boolean;
}

export interface MockAppCheck {
  readonly projectNumber: string;
  readonly projectId: string;
  readonly appId: string;
  readonly issuer: string;
  readonly jwksUri: string;
  /** The `kid` of the key tokens are signed with (the newest served key). */
  readonly kid: string;
  /** JWKS requests served so far. */
  readonly jwksRequests: number;
  /** While down, the JWKS endpoint answers 503. */
  down: boolean;
  /**
   * Firebase's key rotation: a new key is added to the JWKS (the old ones stay served) and
   * signs every later token. Returns the new `kid`.
   */
  rotate(): Promise<string>;
  /**
   * A signed App Check token: the documented claims, then `claims` merged over them (a claim
   * set to undefined is left out).
   */
  token(claims?: Record<string, unknown>, options?: AppCheckTokenOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startMockAppCheck(options: MockAppCheckOptions = {}): Promise<MockAppCheck> {
  const projectNumber = options.projectNumber ?? '123456789012';
  const projectId = options.projectId ?? 'rampart-test';
  const appId = options.appId ?? `1:${projectNumber}:android:0a1b2c3d4e5f6789`;
  const unserved = await generateKeyPair('RS256');
  const servedJwks: JWK[] = [];
  const newKey = async () => {
    const kid = randomUUID();
    const pair = await generateKeyPair('RS256', { extractable: true });
    const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
    servedJwks.push(publicJwk);
    return { kid, privateKey: pair.privateKey, publicJwk };
  };
  let signing = await newKey();
  const state = { down: false, requests: 0 };
  const server: Server = createServer((request, response) => {
    if (request.url !== '/v1/jwks') {
      response.writeHead(404).end();
      return;
    }
    state.requests++;
    if (state.down) {
      response.writeHead(503).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: servedJwks }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `https://firebaseappcheck.googleapis.com/${projectNumber}`;

  return {
    projectNumber,
    projectId,
    appId,
    issuer,
    jwksUri: `http://127.0.0.1:${port}/v1/jwks`,
    get kid() {
      return signing.kid;
    },
    get jwksRequests() {
      return state.requests;
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    async rotate() {
      signing = await newKey();
      return signing.kid;
    },
    async token(claims = {}, tokenOptions = {}) {
      const now = tokenOptions.now ?? Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        sub: appId,
        aud: [`projects/${projectNumber}`, `projects/${projectId}`],
        iat: now,
        exp: now + (tokenOptions.expiresIn ?? 3600),
        jti: randomUUID(),
        ...claims,
      };
      for (const [name, value] of Object.entries(payload)) {
        if (value === undefined) delete payload[name];
      }
      const alg = tokenOptions.alg ?? 'RS256';
      let key: CryptoKey | Uint8Array = tokenOptions.unservedKey
        ? unserved.privateKey
        : signing.privateKey;
      if (alg === 'HS256') key = new TextEncoder().encode(JSON.stringify(signing.publicJwk));
      else if (alg !== 'RS256') key = (await generateKeyPair(alg)).privateKey;
      return new SignJWT(payload)
        .setProtectedHeader({ alg, typ: 'JWT', kid: signing.kid, ...tokenOptions.header })
        .sign(key);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
