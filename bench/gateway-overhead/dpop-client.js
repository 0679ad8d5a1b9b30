/**
 * The authenticated scenario's client side, as an app would be: an access token from the mock
 * issuer bound to a DPoP key (`cnf.jkt`), and one fresh DPoP proof (RFC 9449) per request. The
 * issuer runs in the benchmark's own process (its JWKS is fetched once by the gateway and then
 * cached); proofs are signed in the load generator's process before its runs start, so that
 * signing costs neither the gateway's core nor the measured time.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';

/** The DPoP key's algorithm: the one apps use (Secure Enclave, StrongBox). */
const ALG = 'ES256';
/** Proofs signed at once; jose signs asynchronously, so a batch keeps the loop busy. */
const BATCH = 500;

/**
 * What the load generator needs to sign proofs: the device key (private JWK, so that it can
 * cross the process boundary), the token it accompanies and the URL it is for.
 * @typedef {{
 *   accessToken: string, privateJwk: import('jose').JWK, publicJwk: import('jose').JWK,
 *   jkt: string, alg: 'ES256', htu: string
 * }} DpopCredentials
 */

/**
 * Starts the mock issuer and makes a device: a DPoP key and an access token bound to it.
 * @param {string} htu the URL the proofs name (`server.publicUrl` + path)
 * @returns {Promise<{ issuer: import('@rampart/testkit').MockIssuer, credentials: DpopCredentials }>}
 */
export async function startIdentity(htu) {
  // Imported when needed: the testkit's build is checked for (mockUnavailable) before use.
  const testkit = await import('@rampart/testkit');
  const issuer = await testkit.startMockIssuer();
  // testkit's createDpopKey keeps the private key inside its process; this one must be
  // exported to the load generator, so it is made extractable here.
  const pair = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const key = {
    privateKey: pair.privateKey,
    publicJwk,
    jkt: await calculateJwkThumbprint(publicJwk),
    alg: /** @type {const} */ (ALG),
  };
  // Long enough for the whole benchmark: the token is reused, as an app reuses its token.
  const accessToken = await issuer.accessToken(
    { roles: ['bench'] },
    { dpop: key, expiresIn: 3600 },
  );
  const privateJwk = await exportJWK(pair.privateKey);
  return {
    issuer,
    credentials: { accessToken, privateJwk, publicJwk, jkt: key.jkt, alg: ALG, htu },
  };
}

/**
 * Signs `count` proofs, each with its own `jti`, all for POST `htu` and the same access token.
 * About 80 µs each on the benchmark machine.
 * @param {DpopCredentials} credentials
 * @param {number} count
 * @returns {Promise<string[]>}
 */
export async function signProofs(credentials, count) {
  const testkit = await import('@rampart/testkit');
  const key = await dpopSigningKey(credentials);
  const run = randomUUID();
  /** @type {string[]} */
  const proofs = [];
  for (let start = 0; start < count; start += BATCH) {
    /** @type {Promise<string>[]} */
    const batch = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      batch.push(
        testkit.dpopProof(key, {
          htm: 'POST',
          htu: credentials.htu,
          accessToken: credentials.accessToken,
          jti: `${run}-${i}`,
        }),
      );
    }
    proofs.push(...(await Promise.all(batch)));
  }
  return proofs;
}

/**
 * The device key as the testkit's `dpopProof` takes it, from credentials that crossed a process
 * boundary.
 * @param {DpopCredentials} credentials
 */
export async function dpopSigningKey(credentials) {
  const privateKey = /** @type {import('jose').CryptoKey} */ (
    await importJWK(credentials.privateJwk, credentials.alg)
  );
  return { ...credentials, privateKey };
}

/** @param {DpopCredentials} credentials @param {string} proof */
export function dpopHeaders(credentials, proof) {
  return { authorization: `DPoP ${credentials.accessToken}`, dpop: proof };
}
