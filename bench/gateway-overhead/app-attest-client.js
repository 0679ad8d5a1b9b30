/**
 * The attested scenario's client side (row (f)), as an iOS app with App Attest would be: the
 * (e) device (a DPoP key and a token bound to it) also holds an App Attest key, attested once
 * against the testkit's mock App Attest CA and registered with the gateway, and signs one
 * assertion per request. Like the proofs, assertions are signed in the load generator's process
 * before its runs start, so that signing costs neither the gateway's core nor the measured time.
 *
 * Each request carries `Rampart-App-Attest: <keyId>.<assertion>.<clientData>` (base64url), where
 * clientData is the UTF-8 JSON `{challenge, htm, htu, bodySha256}` (the gateway's
 * attestation/apple-app-attest/client-data.ts): challenge = base64url SHA-256 of that request's
 * DPoP proof, bodySha256 = base64url SHA-256 of the exact body bytes sent. The gateway requires
 * the assertion counter to grow strictly from one request to the next, so counters are handed
 * out from one place (`reserveCounters`) and requests signed in counter order must be sent in
 * that order: one connection.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { dpopHeaders, dpopSigningKey, signProofs } from './dpop-client.js';

/** The app the bench stands for: a team id (10 characters, Apple's format) and a bundle id. */
export const BENCH_APP = { teamId: 'BENCHTEAM1', bundleId: 'dev.rampart.bench' };

const HEADER = 'rampart-app-attest';

/**
 * An attested App Attest key as the load generator needs it (JSON, to cross the process
 * boundary): its key id (base64url of the 32 bytes `DCAppAttestService` reports), its private
 * key, the app it was attested for, and the next assertion counter not yet used.
 * @typedef {{
 *   keyId: string, privateJwk: import('node:crypto').JsonWebKey,
 *   teamId: string, bundleId: string, nextCounter: number
 * }} AppAttestCredentials
 */

/**
 * The mock App Attest CA (new keys every run): its root is given to the gateway as its only
 * App Attest trust anchor.
 */
export async function createAppAttestCa() {
  const testkit = await import('@rampart/testkit');
  return testkit.createMockAppAttestCa();
}

/**
 * Registers a new App Attest key for the device, as an app does once after install: a challenge
 * from `POST /attest/v1/challenges`, an attestation of a fresh key over clientData
 * `{challenge, jkt}` (the DPoP key's thumbprint), then `POST /attest/v1/apple-app-attest`, which
 * must answer 201. Both calls carry the token and a fresh DPoP proof.
 * @param {string} origin the gateway's `server.publicUrl`
 * @param {import('./dpop-client.js').DpopCredentials} dpop
 * @param {import('@rampart/testkit').MockAppAttestCa} ca
 * @returns {Promise<AppAttestCredentials>}
 * @throws {Error} naming the call and the status when the gateway refuses either call
 */
export async function registerAppAttestKey(origin, dpop, ca) {
  const testkit = await import('@rampart/testkit');
  const signingKey = await dpopSigningKey(dpop);
  /** @param {string} path @param {unknown} body @returns {Promise<Record<string, unknown>>} */
  const post = async (path, body) => {
    const htu = `${origin}${path}`;
    const proof = await testkit.dpopProof(signingKey, {
      htm: 'POST',
      htu,
      accessToken: dpop.accessToken,
    });
    const response = await fetch(htu, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...dpopHeaders(dpop, proof) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 201) {
      throw new Error(`POST ${path}: status ${response.status}: ${text.slice(0, 300)}`);
    }
    return JSON.parse(text);
  };

  const { challenge } = await post('/attest/v1/challenges', {});
  if (typeof challenge !== 'string') throw new Error('POST /attest/v1/challenges: no challenge');
  const clientData = Buffer.from(JSON.stringify({ challenge, jkt: dpop.jkt }));
  const minted = await ca.attest({
    ...BENCH_APP,
    environment: 'development',
    clientData,
    // The gateway checks the credential certificate against its own (real) clock.
    now: new Date(),
  });
  const keyId = Buffer.from(minted.keyId).toString('base64url');
  await post('/attest/v1/apple-app-attest', {
    bundleId: BENCH_APP.bundleId,
    keyId,
    attestation: Buffer.from(minted.attestationObject).toString('base64url'),
    clientData: clientData.toString('base64url'),
  });
  return {
    keyId,
    privateJwk: minted.privateKey.export({ format: 'jwk' }),
    ...BENCH_APP,
    // Registration stored counter 0: the first assertion must be above it.
    nextCounter: 1,
  };
}

/**
 * Reserves `count` consecutive assertion counters and returns the first. Every later
 * reservation is above them, so requests signed from different reservations (the correctness
 * check, then each run's load generator) never reuse a counter; unused ones are simply skipped.
 * @param {AppAttestCredentials} appAttest  mutated: its `nextCounter` moves past the reservation
 * @param {number} count
 * @throws {RangeError} when the reservation would pass 2^32 − 1 (nothing is reserved then)
 */
export function reserveCounters(appAttest, count) {
  const first = appAttest.nextCounter;
  // App Attest counters are 32-bit (authenticator data bytes 33–36).
  if (first + count - 1 > 0xffffffff) throw new RangeError('App Attest counters exhausted');
  appAttest.nextCounter = first + count;
  return first;
}

/**
 * Signs the headers of `count` requests, in order: the token, a fresh DPoP proof each and, with
 * `appAttest`, an assertion each over that proof and `body`, with counters `firstCounter`,
 * `firstCounter + 1`, …
 * @param {{
 *   dpop: import('./dpop-client.js').DpopCredentials, appAttest?: AppAttestCredentials,
 *   firstCounter?: number, body: string, count: number
 * }} options  firstCounter: from `reserveCounters` (required with appAttest)
 * @returns {Promise<Record<string, string>[]>}
 */
export async function signRequestHeaders({ dpop, appAttest, firstCounter, body, count }) {
  const proofs = await signProofs(dpop, count);
  if (appAttest === undefined) return proofs.map((proof) => dpopHeaders(dpop, proof));
  if (firstCounter === undefined) throw new TypeError('firstCounter is required with appAttest');
  const testkit = await import('@rampart/testkit');
  // The testkit's assertion minter is a method of its CA but signs with the key it is given
  // alone; this CA's own keys are never used.
  const ca = await testkit.createMockAppAttestCa();
  const privateKey = createPrivateKey({ key: appAttest.privateJwk, format: 'jwk' });
  const key = {
    keyId: Buffer.from(appAttest.keyId, 'base64url'),
    privateKey,
    publicKey: createPublicKey(privateKey),
  };
  return proofs.map((proof, i) => {
    const clientData = testkit.rampartClientData({
      challenge: createHash('sha256').update(proof).digest('base64url'),
      htm: 'POST',
      htu: dpop.htu,
      body,
    });
    const assertion = ca.assert(key, {
      teamId: appAttest.teamId,
      bundleId: appAttest.bundleId,
      clientData,
      counter: firstCounter + i,
    });
    const value = [
      appAttest.keyId,
      Buffer.from(assertion).toString('base64url'),
      Buffer.from(clientData).toString('base64url'),
    ].join('.');
    return { ...dpopHeaders(dpop, proof), [HEADER]: value };
  });
}
