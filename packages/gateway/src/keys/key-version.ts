import type { JsonWebKey, KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { privateJwk, publicJwk, type KeyMaterial } from './jwk.js';
import { KEY_SPECS, type KeyName } from './specs.js';

/**
 * One version of a named key. The material is reachable only through `key`, `publicKey` and
 * the explicit export methods; JSON.stringify, util.inspect and loggers see identifiers and
 * dates, never the key.
 */
export class KeyVersion {
  readonly #material: KeyMaterial;

  constructor(
    readonly name: KeyName,
    material: KeyMaterial,
    readonly createdAt: Date,
    /** Undefined for the current key, and for a retired key kept until an operator removes it. */
    readonly notAfter: Date | undefined,
  ) {
    this.#material = material;
  }

  get kid(): string {
    return this.#material.kid;
  }

  get alg(): string {
    return KEY_SPECS[this.name].alg;
  }

  /** The private key (oidc-signing, audit-checkpoint) or the secret key (cookie-secret, data-kek). */
  get key(): KeyObject {
    return this.#material.key;
  }

  /** The public key of an asymmetric key; undefined for secret keys. */
  get publicKey(): KeyObject | undefined {
    return this.#material.publicKey;
  }

  /** Still accepted for verification or decryption at `now` (epoch ms)? */
  isUsableAt(now: number): boolean {
    return this.notAfter === undefined || this.notAfter.getTime() > now;
  }

  /** The public JWK (with kid, alg, use) of an asymmetric key; undefined for secret keys. */
  publicJwk(): JsonWebKey | undefined {
    return publicJwk(this.#material, KEY_SPECS[this.name]);
  }

  /** The private or secret JWK, for libraries that take keys as JWKs. Handle with care. */
  exportPrivateJwk(): JsonWebKey {
    return privateJwk(this.#material, KEY_SPECS[this.name]);
  }

  /** A copy that stops being usable at `notAfter` (undefined: kept until removed). */
  retire(notAfter: Date | undefined): KeyVersion {
    return new KeyVersion(this.name, this.#material, this.createdAt, notAfter);
  }

  toJSON(): Record<string, string | undefined> {
    return {
      name: this.name,
      kid: this.kid,
      alg: this.alg,
      createdAt: this.createdAt.toISOString(),
      notAfter: this.notAfter?.toISOString(),
    };
  }

  [inspect.custom](): string {
    return `KeyVersion ${inspect(this.toJSON())}`;
  }
}
