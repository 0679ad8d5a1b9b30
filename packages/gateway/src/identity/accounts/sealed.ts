import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import type { Keyring } from '../../keys/index.js';

/**
 * Secrets at rest (TOTP seeds) as compact JWEs (RFC 7516): a fresh content key per value,
 * A256GCM, wrapped with the keyring's `data-kek` (A256KW, RFC 7518 §4.4). The protected header
 * names the key id, so that a value sealed before a rotation still opens with the retired key,
 * and the account id (`acct`), so that a sealed value copied to another row does not open there.
 */
export async function sealSecret(keyring: Keyring, accountId: string, secret: string) {
  const kek = keyring.current('data-kek');
  return new CompactEncrypt(new TextEncoder().encode(secret))
    .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM', kid: kek.kid, acct: accountId })
    .encrypt(kek.key);
}

/** Opens a value sealed for `accountId`; throws when the key is gone or the value was altered. */
export async function openSecret(keyring: Keyring, accountId: string, sealed: string) {
  const { kid, acct } = decodeProtectedHeader(sealed);
  if (acct !== accountId) throw new Error('sealed secret belongs to another account');
  const kek = keyring.verificationKeys('data-kek').find((version) => version.kid === kid);
  if (kek === undefined) throw new Error('the data-kek that sealed this secret is not loaded');
  const { plaintext } = await compactDecrypt(sealed, kek.key, {
    keyManagementAlgorithms: ['A256KW'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  return new TextDecoder().decode(plaintext);
}
