import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { gatewayError } from '../../errors.js';
import type { ReplayCache } from './replay.js';

/**
 * The DPoP replay cache shared by every replica (`redis.url` set): one key per proof id,
 * written with `SET key 1 PX <ttl> NX`, which is atomic, so of two replicas that see the same
 * proof at once exactly one gets `OK`. The key is a SHA-256 of the id (the jkt and a jti of up
 * to 256 characters), so its length is fixed whatever the client sends; Redis expires it when
 * the proof could no longer be accepted anyway.
 *
 * When Redis cannot answer (down, timed out, reconnecting) `remember` throws 503
 * `auth.replay_cache_unavailable`: a proof that cannot be checked is never admitted.
 */
export class RedisReplayCache implements ReplayCache {
  readonly #client: Pick<Redis, 'set'>;
  readonly #namespace: string;

  /**
   * `client` prefixes keys itself (the connection's `keyPrefix`). `namespace` starts every key
   * this cache writes, so that caches of different proofs (DPoP, App Check tokens) sharing one
   * Redis never see each other's ids; default `dpop:jti`.
   */
  constructor(client: Pick<Redis, 'set'>, namespace = 'dpop:jti') {
    this.#client = client;
    this.#namespace = namespace;
  }

  async remember(id: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    const key = `${this.#namespace}:${createHash('sha256').update(id).digest('base64url')}`;
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - nowMs));
    let answer: string | null;
    try {
      answer = await this.#client.set(key, '1', 'PX', ttlMs, 'NX');
    } catch (error) {
      throw gatewayError(
        'auth.replay_cache_unavailable',
        'The DPoP replay cache cannot be reached; the proof is refused. Retry shortly.',
        { cause: error },
      );
    }
    return answer === 'OK';
  }
}
