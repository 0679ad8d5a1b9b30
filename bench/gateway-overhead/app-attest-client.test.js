// The bench's attested requests must be exactly what the gateway accepts, or row (f) measures
// refusals: each header is checked here with the gateway's own assertion verifier, against the
// binding the gateway computes from the request (its DPoP proof, method, URL and body).
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createMockAppAttestCa } from '@rampart/testkit';
import { verifyAssertion } from '../../packages/gateway/src/attestation/apple-app-attest/assertion.js';
import { BENCH_APP, reserveCounters, signRequestHeaders } from './app-attest-client.js';

const HTU = 'http://127.0.0.1:8787/v1/chat/completions';
const BODY = '{"model":"bench","messages":[{"role":"user","content":"Hello"}]}';

async function device() {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const dpop = {
    accessToken: 'header.payload.signature',
    privateJwk: await exportJWK(pair.privateKey),
    publicJwk,
    jkt: await calculateJwkThumbprint(publicJwk),
    alg: /** @type {const} */ ('ES256'),
    htu: HTU,
  };
  const ca = await createMockAppAttestCa();
  const minted = await ca.attest({
    ...BENCH_APP,
    environment: 'development',
    clientData: Buffer.from('registration'),
    now: new Date('2030-01-01T00:00:00Z'),
  });
  const appAttest = {
    keyId: Buffer.from(minted.keyId).toString('base64url'),
    privateJwk: minted.privateKey.export({ format: 'jwk' }),
    ...BENCH_APP,
    nextCounter: 1,
  };
  return { dpop, appAttest, publicKey: minted.publicKey };
}

/**
 * What the gateway's App Attest platform does with one request's headers.
 * @param {Record<string, string>} headers
 * @param {import('node:crypto').KeyObject} publicKey
 * @param {number} storedCounter
 */
function gatewayVerdict(headers, publicKey, storedCounter) {
  const [keyId = '', assertion = '', clientData = ''] = (headers['rampart-app-attest'] ?? '').split(
    '.',
  );
  const verdict = verifyAssertion({
    assertion: Buffer.from(assertion, 'base64url'),
    clientData: {
      kind: 'rampart',
      bytes: Buffer.from(clientData, 'base64url'),
      expected: {
        challenge: createHash('sha256')
          .update(headers['dpop'] ?? '')
          .digest('base64url'),
        htm: 'POST',
        htu: HTU,
        bodySha256: createHash('sha256').update(BODY).digest('base64url'),
      },
    },
    app: BENCH_APP,
    key: { publicKey, counter: storedCounter },
  });
  return { keyId, verdict };
}

describe('bench App Attest client', () => {
  it('signs assertions the gateway accepts in order, bound to each request’s proof and body', async () => {
    const { dpop, appAttest, publicKey } = await device();
    const firstCounter = reserveCounters(appAttest, 3);
    const signed = await signRequestHeaders({
      dpop,
      appAttest,
      firstCounter,
      body: BODY,
      count: 3,
    });
    let stored = 0;
    for (const headers of signed) {
      expect(headers['authorization']).toBe(`DPoP ${dpop.accessToken}`);
      const { keyId, verdict } = gatewayVerdict(headers, publicKey, stored);
      expect(keyId).toBe(appAttest.keyId);
      expect(verdict).toMatchObject({ outcome: 'valid', value: { counter: stored + 1 } });
      if (verdict.outcome === 'valid') stored = verdict.value.counter;
    }
  });

  it('signs assertions the gateway refuses once a later counter was accepted', async () => {
    const { dpop, appAttest, publicKey } = await device();
    const signed = await signRequestHeaders({
      dpop,
      appAttest,
      firstCounter: reserveCounters(appAttest, 2),
      body: BODY,
      count: 2,
    });
    const [first, second] = signed;
    expect(gatewayVerdict(second ?? {}, publicKey, 0).verdict.outcome).toBe('valid');
    expect(gatewayVerdict(first ?? {}, publicKey, 2).verdict).toMatchObject({
      outcome: 'invalid',
      reason: 'counter_replay',
    });
  });

  it('hands out counters above every earlier reservation, never past 32 bits', () => {
    const appAttest = { keyId: '', privateJwk: {}, ...BENCH_APP, nextCounter: 1 };
    const a = reserveCounters(appAttest, 1000);
    const b = reserveCounters(appAttest, 1);
    const c = reserveCounters(appAttest, 500);
    expect([a, b, c]).toEqual([1, 1001, 1002]);
    expect(appAttest.nextCounter).toBe(1502);
    appAttest.nextCounter = 0xffffffff;
    expect(() => reserveCounters(appAttest, 2)).toThrow(RangeError);
    expect(appAttest.nextCounter).toBe(0xffffffff);
    expect(reserveCounters(appAttest, 1)).toBe(0xffffffff);
  });
});
