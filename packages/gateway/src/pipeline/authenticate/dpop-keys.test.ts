import { createDpopKey, type DpopKey } from '@rampart/testkit';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddedKey, jwkThumbprint, MAX_CACHED_DEVICE_KEYS } from './dpop-keys.js';

const compact = { payload: '', signature: '' };

let device: DpopKey;
beforeAll(async () => {
  device = await createDpopKey();
});

describe('device keys kept between proofs', () => {
  it('imports a device key once and answers the same key for the same jwk and alg', async () => {
    const first = await embeddedKey({ alg: 'ES256', jwk: device.publicJwk }, compact);
    const again = await embeddedKey({ alg: 'ES256', jwk: { ...device.publicJwk } }, compact);
    expect(again).toBe(first);
    expect(first.type).toBe('public');
  });

  it('still refuses the same key under an algorithm it does not fit, after keeping it', async () => {
    await embeddedKey({ alg: 'ES256', jwk: device.publicJwk }, compact);
    await expect(embeddedKey({ alg: 'ES384', jwk: device.publicJwk }, compact)).rejects.toThrow();
    await expect(embeddedKey({ alg: 'RS256', jwk: device.publicJwk }, compact)).rejects.toThrow();
  });

  it('refuses a private key every time: failures are not kept', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const publicJwk: JWK = { ...privateJwk };
    delete publicJwk.d;
    for (let i = 0; i < 2; i++) {
      await expect(embeddedKey({ alg: 'ES256', jwk: privateJwk }, compact)).rejects.toThrow(
        /public key/,
      );
    }
    // The public half of the same key, differing only by `d`, is a different entry.
    await expect(embeddedKey({ alg: 'ES256', jwk: publicJwk }, compact)).resolves.toMatchObject({
      type: 'public',
    });
  });

  it('does not use the cache for a JWS with an unprotected header (jose merges it)', async () => {
    const other = await createDpopKey();
    const kept = await embeddedKey({ alg: 'ES256', jwk: device.publicJwk }, compact);
    const merged = await embeddedKey(
      { alg: 'ES256', jwk: device.publicJwk },
      { ...compact, header: { jwk: other.publicJwk } },
    );
    expect(merged).not.toBe(kept);
  });

  it('gives the RFC 7638 thumbprint jose computes, for the same and for other keys', async () => {
    const other = await createDpopKey('EdDSA');
    for (const jwk of [device.publicJwk, device.publicJwk, other.publicJwk]) {
      expect(await jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk));
    }
    expect(await jwkThumbprint(device.publicJwk)).toBe(device.jkt);
  });

  it('forgets the least recently used key once more than the bound are kept', async () => {
    const first = await embeddedKey({ alg: 'ES256', jwk: device.publicJwk }, compact);
    const other = (await createDpopKey()).publicJwk;
    // Keys that differ only in a member jose ignores are distinct entries: cheap fillers.
    for (let i = 0; i < MAX_CACHED_DEVICE_KEYS; i++) {
      await embeddedKey({ alg: 'ES256', jwk: { ...other, kid: `filler-${i}` } }, compact);
    }
    const later = await embeddedKey({ alg: 'ES256', jwk: device.publicJwk }, compact);
    expect(later).not.toBe(first);
    expect(later.type).toBe('public');
  });
});
