import type { FlattenedJWSInput, JWTPayload, JWTVerifyGetKey } from 'jose';

/** What a key set hands out for a token. */
export type VerifyKey = Awaited<ReturnType<JWTVerifyGetKey>>;

/** Verified tokens kept so that their signature is not checked again. */
export const MAX_CACHED_TOKENS = 10_000;

/** A token jose verified, with what is needed to tell whether that still holds. */
export interface KeptToken {
  /** The issuer's key set the token was verified against. */
  readonly getKey: JWTVerifyGetKey;
  /** The key the signature was verified with, as the key set handed it out. */
  readonly key: VerifyKey;
  readonly header: Parameters<JWTVerifyGetKey>[0];
  readonly input: FlattenedJWSInput;
  readonly payload: JWTPayload;
  /** The protected header's `typ`. */
  readonly typ: unknown;
}

/**
 * Access tokens already verified by jose, by their exact text. An app sends the same token with
 * every request until it expires, and checking its signature again is the dearest part of
 * verifying it. Everything jose checks is a function of the token's bytes, the issuer's fixed
 * options and the key, except the time checks (`nbf`, `exp`, which the caller redoes): so a kept
 * token is used only while the issuer's key set — asked again, as for any token, so that a stale
 * set is refetched — still hands out the very key object it was verified with. A key rotated out,
 * a refetched set or a failure means a full verification. Bounded: when full, the oldest is
 * forgotten.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, KeptToken>();

  constructor(readonly maxEntries: number = MAX_CACHED_TOKENS) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The kept verification of `token` against `getKey`'s key set, if it still holds. */
  async get(token: string, getKey: JWTVerifyGetKey): Promise<KeptToken | undefined> {
    const entry = this.#entries.get(token);
    if (entry === undefined || entry.getKey !== getKey) return undefined;
    let key: VerifyKey;
    try {
      key = await getKey(entry.header, entry.input);
    } catch {
      // The full verification asks again and turns the failure into its refusal.
      this.#entries.delete(token);
      return undefined;
    }
    if (key !== entry.key) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry;
  }

  set(token: string, entry: KeptToken): void {
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  delete(token: string): void {
    this.#entries.delete(token);
  }
}
