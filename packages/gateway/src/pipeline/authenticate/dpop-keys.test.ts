import { createDpopKey, type DpopKey } from '@rampart/testkit';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceKey, jwkThumbprint, MAX_CACHED_DEVICE_KEYS } from './dpop-keys.js';

let device: DpopKey;
beforeAll(async () => {
  device = await createDpopKey();
});

const rsaPublicJwk = (bits: number) =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });

describe('device keys kept between proofs', () => {
  it('imports a device key once and answers the same KeyObject for the same jwk', () => {
    const first = deviceKey(device.publicJwk);
    const again = deviceKey({ ...device.publicJwk });
    expect(first).toBeDefined();
    expect(again).toBe(first);
    expect(first?.type).toBe('public');
  });

  it('refuses a private key every time: failures are not kept', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    for (let i = 0; i < 2; i++) expect(deviceKey(privateJwk)).toBeUndefined();
    const publicJwk = { ...privateJwk };
    delete publicJwk.d;
    expect(deviceKey(publicJwk)?.type).toBe('public');
  });

  it('refuses a symmetric key, a point off the curve and a malformed member', () => {
    expect(deviceKey({ kty: 'oct', k: 'AAAA' })).toBeUndefined();
    const { x, y } = device.publicJwk;
    expect(deviceKey({ ...device.publicJwk, y: x })).toBeUndefined();
    expect(deviceKey({ ...device.publicJwk, x: y?.slice(0, 10) })).toBeUndefined();
    expect(deviceKey({ ...device.publicJwk, x: 42 })).toBeUndefined();
  });

  it('refuses RSA moduli below 2048 bits (weak) and keeps 2048-bit ones', () => {
    expect(deviceKey(rsaPublicJwk(1024))).toBeUndefined();
    expect(deviceKey(rsaPublicJwk(2048))?.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('refuses an RSA public exponent beyond 2^32 (its cost grows with its length)', () => {
    const jwk = rsaPublicJwk(2048);
    const hugeExponent = Buffer.alloc(16, 0xff);
    hugeExponent[15] = 0x01;
    expect(deviceKey({ ...jwk, e: hugeExponent.toString('base64url') })).toBeUndefined();
  });

  it('gives the RFC 7638 thumbprint jose computes, for the same and for other keys', async () => {
    const other = await createDpopKey('EdDSA');
    for (const jwk of [device.publicJwk, device.publicJwk, other.publicJwk]) {
      expect(await jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk));
    }
    expect(await jwkThumbprint(device.publicJwk)).toBe(device.jkt);
  });

  it('forgets the least recently used key once more than the bound are kept', async () => {
    const first = deviceKey(device.publicJwk);
    const other = (await createDpopKey()).publicJwk;
    // Keys that differ only in a member the import ignores are distinct entries: cheap fillers.
    for (let i = 0; i < MAX_CACHED_DEVICE_KEYS; i++) {
      deviceKey({ ...other, kid: `filler-${i}` });
    }
    const later = deviceKey(device.publicJwk);
    expect(later).not.toBe(first);
    expect(later?.type).toBe('public');
  });
});
