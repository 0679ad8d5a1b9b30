import { webcrypto } from 'node:crypto';

type JsonWebKey = webcrypto.JsonWebKey;
import * as oauth from 'oauth4webapi';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * A fresh ES256 DPoP key pair and its private JWK for the credentials file. Node has no
 * non-extractable key store that outlives the process, so the private key is kept in the 0600
 * credentials file: whoever can read that file holds the login, like any CLI token cache.
 */
export async function newDpopKey(): Promise<{ keyPair: oauth.CryptoKeyPair; jwk: JsonWebKey }> {
  const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
  const jwk = await webcrypto.subtle.exportKey('jwk', keyPair.privateKey);
  return { keyPair, jwk };
}

/** The key pair back from its stored private JWK (the private half is not extractable again). */
export async function importDpopKey(jwk: JsonWebKey): Promise<oauth.CryptoKeyPair> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new Error('the stored DPoP key is not an ES256 private key');
  }
  const publicJwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: jwk.x ?? '', y: jwk.y ?? '' };
  const privateKey = await webcrypto.subtle.importKey('jwk', jwk, ALGORITHM, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('jwk', publicJwk, ALGORITHM, true, ['verify']);
  return { privateKey, publicKey };
}
