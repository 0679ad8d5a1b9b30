import { isRampartError } from '@rampart/core';
import { gatewayError } from '../../errors.js';
import { parseServiceKey, secretMatches } from '../../identity/service-keys/format.js';
import type { StoredServiceKey } from '../../identity/service-keys/repository.js';
import type { Principal } from '../exchange.js';
import { bearerRefusal } from './challenge.js';

/** What the verifier needs of the store: ServiceKeyRepository satisfies it. */
export interface ServiceKeyLookup {
  find(id: string): Promise<StoredServiceKey | undefined>;
  touch(id: string, now: number): Promise<void>;
}

export interface ServiceKeyVerifierOptions {
  readonly lookup: ServiceKeyLookup;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** `auth.serviceKeys.cacheTtlMs`: 0 reads the row on every request. */
  readonly cacheTtlMs: number;
}

export interface ServiceKeyVerifier {
  /**
   * The principal of a `rk_…` key sent as `Authorization: Bearer`, or a 401 RampartError with
   * a Bearer challenge: `auth.service_key_invalid` (malformed, unknown id, wrong secret, DPoP),
   * `auth.service_key_expired` and `auth.service_key_revoked` (told only to a caller holding
   * the right secret, so neither says anything about a key to someone without it); 503
   * `store.unavailable` when the store cannot answer (fail closed).
   */
  verify(key: string, presentation: { dpop: boolean }): Promise<Principal>;
  /**
   * Forgets what the cache holds for a key: what a revocation broadcast (Redis pub/sub, for
   * other replicas) calls on receipt, so that `cacheTtlMs` bounds nothing when it is heard.
   */
  forget(id: string): void;
}

/** The issuer a service key's principal names: not a URL, so no token can ever claim it. */
export const SERVICE_KEY_ISSUER = 'rampart:service-key';
const MAX_CACHED = 10_000;
/** Compared against for an unknown id: a digest no secret is known to hash to (zero bytes). */
const UNKNOWN_KEY_HASH = Buffer.alloc(32).toString('base64url');
/** last_used_at is written at most this often per key: a write per request would cost more. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Verifies service keys (identity/service-keys): lookup by the key's id (primary key), then a
 * constant-time comparison of the secret's SHA-256 with the stored one. Nothing about the key
 * is logged or echoed.
 */
export function createServiceKeyVerifier(options: ServiceKeyVerifierOptions): ServiceKeyVerifier {
  const { lookup, now, cacheTtlMs } = options;
  const cache = new Map<string, { key: StoredServiceKey; until: number }>();
  const touched = new Map<string, number>();

  const load = async (id: string, nowMs: number): Promise<StoredServiceKey | undefined> => {
    const cached = cache.get(id);
    if (cached !== undefined && cached.until > nowMs) return cached.key;
    cache.delete(id);
    let key: StoredServiceKey | undefined;
    try {
      key = await lookup.find(id);
    } catch (error) {
      if (isRampartError(error) && error.code === 'store.unavailable') throw error;
      throw gatewayError('store.unavailable', 'The service key could not be checked.', {
        cause: error,
      });
    }
    // Only keys that exist are cached: random ids must not fill the cache.
    if (key !== undefined && cacheTtlMs > 0) {
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value ?? '');
      cache.set(id, { key, until: nowMs + cacheTtlMs });
    }
    return key;
  };

  const touch = (id: string, nowMs: number) => {
    const last = touched.get(id);
    if (last !== undefined && nowMs - last < TOUCH_INTERVAL_MS) return;
    if (touched.size >= MAX_CACHED) touched.clear();
    touched.set(id, nowMs);
    // Bookkeeping only: a failed write must not fail the request it describes.
    lookup.touch(id, nowMs).catch(() => undefined);
  };

  return {
    forget(id) {
      cache.delete(id);
    },
    async verify(text, presentation) {
      if (presentation.dpop) {
        // Service keys are for servers; a DPoP presentation means a device, which must not hold one.
        throw bearerRefusal(
          'auth.service_key_invalid',
          'A service key is sent as Authorization: Bearer, without DPoP; it is for servers, never for apps.',
        );
      }
      const parts = parseServiceKey(text);
      const nowMs = now();
      const key = parts === undefined ? undefined : await load(parts.id, nowMs);
      // An unknown id costs the same hash and comparison as a wrong secret.
      const matches =
        parts !== undefined &&
        secretMatches(parts.id, parts.secret, key?.secretHash ?? UNKNOWN_KEY_HASH);
      if (key === undefined || !matches) {
        throw bearerRefusal('auth.service_key_invalid', 'The service key is not valid.');
      }
      if (key.revokedAt !== undefined) {
        throw bearerRefusal('auth.service_key_revoked', 'The service key was revoked.');
      }
      if (key.expiresAt <= nowMs) {
        throw bearerRefusal('auth.service_key_expired', 'The service key has expired.');
      }
      touch(key.id, nowMs);
      return {
        subject: `service:${key.id}`,
        issuer: SERVICE_KEY_ISSUER,
        tenant: key.tenant,
        roles: key.roles,
        acr: undefined,
        amr: [],
        deviceJkt: undefined,
        tokenId: key.id,
        sessionId: undefined,
        issuedAt: undefined,
        clientId: undefined,
        credential: 'service_key',
        aliases: key.aliases,
      };
    },
  };
}
