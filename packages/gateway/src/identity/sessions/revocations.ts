import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisConnection } from '../../redis/index.js';
import type { Revocation, RevocationKind, SessionRepository, SubjectKey } from './repository.js';
import { RevocationList, type RevocationHorizon } from './revocation-list.js';

/**
 * What the embedded provider implements to end what a revocation ends on its side (refresh
 * tokens, grants). Called once, on the replica where the revocation was made, after it is
 * stored; a hook that fails is logged, and the revocation stands.
 */
export interface RevocationHooks {
  onSessionRevoked?(sessionId: string, owner: SubjectKey): void | Promise<void>;
  onSubjectRevoked?(subject: string, owner: SubjectKey): void | Promise<void>;
}

export interface RevocationLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface RevocationsOptions {
  readonly repository: SessionRepository;
  /** Set (`redis.url`): revocations are broadcast to every replica. */
  readonly redis?: RedisConnection | undefined;
  readonly logger?: RevocationLogger | undefined;
  /**
   * Backstop: the store is reread this often (default 60 000 ms), so that a broadcast lost
   * while Redis was unreachable for the publisher, or replicas run without Redis, converge.
   */
  readonly resyncIntervalMs?: number;
  /**
   * How long a revocation of each issuer's tokens can matter (see RevocationHorizon); issuers
   * without one keep their revocations. Default: every revocation is kept.
   */
  readonly horizon?: RevocationHorizon;
  /** How often revocations past their horizon are deleted (default 3 600 000 ms). */
  readonly pruneIntervalMs?: number;
  readonly now?: () => number;
}

/** Rows one prune deletes per statement, and statements per issuer per run: bounded work. */
export const PRUNE_BATCH = 100;
export const PRUNE_MAX_BATCHES = 10;

/** The pub/sub channel (the client's keyPrefix does not apply to channels). */
export function revocationChannel(prefix: string): string {
  return `${prefix}revocations`;
}

const MAX_PART = 2048;
const messageSchema = z.strictObject({
  kind: z.enum(['device', 'session', 'subject']),
  tenant: z.string().max(MAX_PART),
  issuer: z.string().min(1).max(MAX_PART),
  subject: z.string().min(1).max(MAX_PART),
  target: z.string().max(MAX_PART),
  revokedAt: z.number().int().nonnegative(),
});

/** Tells every replica subscribed to `connection`'s channel (the CLI uses this too). */
export async function publishRevocation(
  connection: RedisConnection,
  revocation: Revocation,
): Promise<void> {
  await connection.client.publish(
    revocationChannel(connection.prefix),
    JSON.stringify(revocation satisfies z.input<typeof messageSchema>),
  );
}

/**
 * Revocations, persisted in the store and held in memory (`list`) for the authenticate path.
 *
 * With Redis, each revocation is published on a channel every replica subscribes to, so it
 * takes effect at every replica as soon as the message arrives (a Redis round trip). A
 * replica whose subscriber connection dropped may have missed messages: when the connection
 * is ready again it rereads the store. Without Redis (one replica) the list is updated in
 * place; the periodic reread still brings in what another process (the CLI) stored.
 */
export class Revocations {
  readonly list = new RevocationList();
  readonly #repository: SessionRepository;
  readonly #redis: RedisConnection | undefined;
  readonly #logger: RevocationLogger | undefined;
  readonly #now: () => number;
  #hooks: RevocationHooks = {};
  #subscriber: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #pruning: Promise<number> | undefined;
  readonly #horizon: RevocationHorizon;
  #resyncs = 0;

  private constructor(options: RevocationsOptions) {
    this.#repository = options.repository;
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#horizon = options.horizon ?? new Map();
  }

  /** Loads every stored revocation and, with Redis, subscribes before returning. */
  static async open(options: RevocationsOptions): Promise<Revocations> {
    const revocations = new Revocations(options);
    await revocations.resync();
    if (options.redis !== undefined) await revocations.#subscribe(options.redis);
    const interval = options.resyncIntervalMs ?? 60_000;
    revocations.#timer = setInterval(() => {
      revocations.resync().catch((error: unknown) => revocations.#resyncFailed(error));
    }, interval);
    revocations.#timer.unref();
    if (options.horizon !== undefined && options.horizon.size > 0) {
      revocations.#pruneTimer = setInterval(() => {
        revocations.prune().catch((error: unknown) => {
          revocations.#logger?.warn(
            { reason: error instanceof Error ? error.name : String(error) },
            'pruning expired revocations failed; retrying at the next interval',
          );
        });
      }, options.pruneIntervalMs ?? 3_600_000);
      revocations.#pruneTimer.unref();
    }
    return revocations;
  }

  /**
   * Deletes the revocations that can no longer refuse a valid token — made longer ago than
   * their issuer's horizon — from the store (at most PRUNE_BATCH × PRUNE_MAX_BATCHES rows per
   * issuer per run; the rest at the next) and from memory. Every replica runs it; deleting
   * twice is harmless. Resolves to the number of stored rows deleted. One run at a time.
   */
  prune(): Promise<number> {
    this.#pruning ??= this.#prune().finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  async #prune(): Promise<number> {
    const now = this.#now();
    let deleted = 0;
    for (const [issuer, keepMs] of this.#horizon) {
      for (let batch = 0; batch < PRUNE_MAX_BATCHES; batch++) {
        const count = await this.#repository.pruneRevocations(issuer, now - keepMs, PRUNE_BATCH);
        deleted += count;
        if (count < PRUNE_BATCH) break;
      }
    }
    const forgotten = this.list.prune(this.#horizon, now);
    if (deleted + forgotten > 0) {
      this.#logger?.info({ deleted, forgotten }, 'pruned revocations past their tokens’ lifetime');
    }
    return deleted;
  }

  /** The provider's hooks (the lead wires them); replaces any set before. */
  useHooks(hooks: RevocationHooks): void {
    this.#hooks = hooks;
  }

  /** The subscriber connection, while Redis is configured (for operations and tests). */
  get subscriber(): Redis | undefined {
    return this.#subscriber;
  }

  /** How many times the store was reread (at open, after reconnects, periodically). */
  get resyncs(): number {
    return this.#resyncs;
  }

  /**
   * Revokes a device (`target`: its jkt), a session (its sid) or a subject (every token issued
   * at or before now; `target` ignored). Stored first, so a crash never loses an announced
   * revocation; then applied here, broadcast, and the provider's hook is called. Rejects only
   * when the store write fails; a failed broadcast is logged (the periodic reread covers it).
   */
  async revoke(kind: RevocationKind, owner: SubjectKey, target: string): Promise<Revocation> {
    const revocation: Revocation = {
      kind,
      tenant: owner.tenant,
      issuer: owner.issuer,
      subject: owner.subject,
      target: kind === 'subject' ? '' : target,
      revokedAt: this.#now(),
    };
    await this.#repository.addRevocation(revocation);
    this.list.apply(revocation);
    if (this.#redis !== undefined) {
      await publishRevocation(this.#redis, revocation).catch((error: unknown) => {
        this.#logger?.warn(
          { kind, reason: error instanceof Error ? error.message : String(error) },
          'revocation stored but not broadcast; other replicas apply it at their next resync',
        );
      });
    }
    await this.#callHook(revocation);
    return revocation;
  }

  /** Rereads every stored revocation into the list (additive: nothing is ever un-revoked). */
  async resync(): Promise<void> {
    const all = await this.#repository.allRevocations();
    for (const revocation of all) this.list.apply(revocation);
    this.#resyncs += 1;
  }

  close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#pruneTimer !== undefined) clearInterval(this.#pruneTimer);
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
    return Promise.resolve();
  }

  async #subscribe(redis: RedisConnection): Promise<void> {
    const channel = revocationChannel(redis.prefix);
    const subscriber = redis.subscriber();
    this.#subscriber = subscriber;
    subscriber.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      const parsed = parseMessage(text);
      if (parsed === undefined) {
        this.#logger?.warn({ channel }, 'ignored a malformed revocation message');
        return;
      }
      this.list.apply(parsed);
    });
    let first = true;
    subscriber.on('ready', () => {
      if (first) {
        first = false;
        return;
      }
      // Messages published while this connection was down are lost: subscribe again (a no-op
      // if ioredis already did) and reread the store.
      subscriber
        .subscribe(channel)
        .then(() => this.resync())
        .then(() => this.#logger?.info({ channel }, 'revocations resynced after reconnect'))
        .catch((error: unknown) => this.#resyncFailed(error));
    });
    await subscriber.connect();
    await subscriber.subscribe(channel);
    // What was revoked between the first load and the subscription.
    await this.resync();
  }

  #resyncFailed(error: unknown): void {
    this.#logger?.warn(
      { reason: error instanceof Error ? error.name : String(error) },
      'revocation resync failed; retrying at the next interval',
    );
  }

  async #callHook(revocation: Revocation): Promise<void> {
    const owner: SubjectKey = {
      tenant: revocation.tenant,
      issuer: revocation.issuer,
      subject: revocation.subject,
    };
    try {
      if (revocation.kind === 'session') {
        await this.#hooks.onSessionRevoked?.(revocation.target, owner);
      } else if (revocation.kind === 'subject') {
        await this.#hooks.onSubjectRevoked?.(revocation.subject, owner);
      }
    } catch (error) {
      this.#logger?.warn(
        { kind: revocation.kind, reason: error instanceof Error ? error.name : String(error) },
        'revocation hook failed; the revocation stands',
      );
    }
  }
}

function parseMessage(text: string): Revocation | undefined {
  if (text.length > 4 * MAX_PART + 256) return undefined;
  try {
    const result = messageSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
