import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  EmbeddedJWK,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  accessTokenHash,
  createCredentials,
  startMockIssuer,
  type Credentials,
  type MockIssuer,
} from '../src/index.js';

const PUBLIC_URL = 'https://gateway.test';
let issuer: MockIssuer;
beforeAll(async () => {
  issuer = await startMockIssuer();
});
afterAll(() => issuer.close());

const jwks = () => createLocalJWKSet({ keys: [issuer.publicJwk('ES256')] });

async function verifiedToken(authorization: string, scheme: 'DPoP' | 'Bearer') {
  expect(authorization.startsWith(`${scheme} `)).toBe(true);
  const token = authorization.slice(scheme.length + 1);
  const { payload } = await jwtVerify(token, jwks(), {
    issuer: issuer.issuer,
    audience: issuer.audience,
  });
  return { token, payload };
}

async function verifiedProof(proof: string | undefined) {
  const { payload, protectedHeader } = await jwtVerify(proof ?? '', EmbeddedJWK, {
    typ: 'dpop+jwt',
  });
  return { payload, jkt: await calculateJwkThumbprint(protectedHeader.jwk as JWK) };
}

describe('createCredentials', () => {
  it('a DPoP-bound token with the claims asked for, and a proof for the method and URL', async () => {
    const credentials = await createCredentials({
      issuer,
      publicUrl: `${PUBLIC_URL}/`,
      subject: 'alice',
      roles: ['member', 'admin'],
      tenant: 'tenant-a',
      acr: 'urn:rampart:mfa',
      amr: ['pwd', 'otp'],
    });
    const headers = await credentials.headers('post', '/v1/chat/completions?x=1#f');
    const { token, payload } = await verifiedToken(headers.authorization, 'DPoP');
    expect(payload).toMatchObject({
      sub: 'alice',
      roles: ['member', 'admin'],
      tenant: 'tenant-a',
      acr: 'urn:rampart:mfa',
      amr: ['pwd', 'otp'],
      cnf: { jkt: credentials.key.jkt },
    });
    const proof = await verifiedProof(headers.dpop);
    expect(proof.jkt).toBe(credentials.key.jkt);
    expect(proof.payload).toMatchObject({
      htm: 'POST',
      htu: `${PUBLIC_URL}/v1/chat/completions`,
      ath: accessTokenHash(token),
    });
    expect(typeof proof.payload.jti).toBe('string');
  });

  it('proofs name the public URL whatever address the request goes to, each with its own jti', async () => {
    const credentials = await createCredentials({ issuer, publicUrl: PUBLIC_URL });
    const a = await credentials.headers('GET', 'http://127.0.0.1:4567/v1/models?limit=2');
    const b = await credentials.headers('GET', new URL('http://127.0.0.1:4567/v1/models'));
    const [pa, pb] = await Promise.all([verifiedProof(a.dpop), verifiedProof(b.dpop)]);
    expect(pa.payload.htu).toBe(`${PUBLIC_URL}/v1/models`);
    expect(pb.payload.htu).toBe(`${PUBLIC_URL}/v1/models`);
    expect(pa.payload.jti).not.toBe(pb.payload.jti);
    // One token for both: minted once, not per request.
    expect(a.authorization).toBe(b.authorization);
  });

  it('the token is re-minted in the last fifth of its lifetime (frozen clock)', async () => {
    let now = 1_800_000_000_000;
    const credentials = await createCredentials({
      issuer,
      publicUrl: PUBLIC_URL,
      lifetimeSeconds: 100,
      now: () => now,
    });
    const first = await credentials.accessToken();
    now += 79_000;
    expect(await credentials.accessToken()).toBe(first);
    now += 2_000;
    const second = await credentials.accessToken();
    expect(second).not.toBe(first);
    const { dpop } = await credentials.headers('GET', '/v1/models');
    const claims = JSON.parse(
      Buffer.from(dpop?.split('.')[1] ?? '', 'base64url').toString(),
    ) as JWTPayload;
    expect(claims.iat).toBe(Math.floor(now / 1000));
  });

  it('concurrent first requests share one mint', async () => {
    const credentials = await createCredentials({ issuer, publicUrl: PUBLIC_URL });
    const all = await Promise.all(
      Array.from({ length: 5 }, () => credentials.headers('GET', '/v1/models')),
    );
    expect(new Set(all.map((h) => h.authorization)).size).toBe(1);
    expect(new Set(all.map((h) => h.dpop)).size).toBe(5);
  });

  it('bearer() is an unbound token with the same claims, for requests framed by hand', async () => {
    const credentials = await createCredentials({ issuer, publicUrl: PUBLIC_URL, subject: 'bob' });
    const { payload } = await verifiedToken(await credentials.bearer(), 'Bearer');
    expect(payload.sub).toBe('bob');
    expect(payload['cnf']).toBeUndefined();
  });

  it('issuerConfig is the auth.issuers entry that accepts these tokens', async () => {
    const credentials = await createCredentials({ issuer, publicUrl: PUBLIC_URL });
    expect(credentials.issuerConfig).toEqual({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audiences: [issuer.audience],
      algorithms: ['ES256'],
      claims: { roles: 'roles', tenant: 'tenant' },
    });
  });

  it('close() closes an issuer it started, and leaves a given one open', async () => {
    const own = await createCredentials({ publicUrl: PUBLIC_URL });
    await own.close();
    await expect(fetch(own.issuer.jwksUri)).rejects.toThrow();
    const shared = await createCredentials({ issuer, publicUrl: PUBLIC_URL });
    await shared.close();
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });
});

describe('credentials.fetch', () => {
  /** A server that records headers and demands a nonce the first time (RFC 9449 section 8). */
  async function nonceServer() {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => {
        const proof = String(request.headers.dpop ?? '');
        const claims = JSON.parse(
          Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString() || '{}',
        ) as JWTPayload;
        if (claims['nonce'] !== 'n-1') {
          response
            .writeHead(401, {
              'www-authenticate': 'DPoP error="use_dpop_nonce"',
              'dpop-nonce': 'n-1',
            })
            .end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  let credentials: Credentials;
  beforeAll(async () => {
    credentials = await createCredentials({ issuer, publicUrl: PUBLIC_URL });
  });

  it("replaces a client's own Authorization, keeps its other headers and body", async () => {
    const { url, seen } = await nonceServer();
    await credentials.fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-not-this', 'x-app': '1' },
      body: '{"a":1}',
    });
    const first = seen[0];
    expect(first?.authorization).toBe(`DPoP ${await credentials.accessToken()}`);
    expect(first?.['x-app']).toBe('1');
    expect((await verifiedProof(String(first?.dpop))).payload).toMatchObject({
      htm: 'POST',
      htu: `${PUBLIC_URL}/v1/chat/completions`,
    });
  });

  it('answered use_dpop_nonce, it retries once with the nonce, and keeps it for later requests', async () => {
    const fresh = await createCredentials({ issuer, publicUrl: PUBLIC_URL });
    const { url, seen } = await nonceServer();
    const response = await fresh.fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect((await fresh.fetch(`${url}/v1/models`)).status).toBe(200);
    expect(seen).toHaveLength(3);
  });
});
