import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/index.js';
import { gatewayError } from '../errors.js';

/** What the connection logs through (pino's shape). */
export interface RedisLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export type RedisSettings = Config['redis'] & { readonly url: string };

/**
 * The gateway's one Redis (`redis.url`): a command connection shared by every stage, and
 * subscriber connections made on demand (a connection in subscriber mode can issue no other
 * command). Every key and channel carries `redis.keyPrefix`.
 *
 * Failure policy: commands never queue while Redis is away (`enableOfflineQueue: false`) and
 * time out after `redis.commandTimeoutMs`, so a caller fails fast and decides (the replay cache
 * fails closed). Reconnects go on forever with a delay growing by 100 ms per attempt up to
 * `redis.maxReconnectDelayMs`; `/readyz` reports the outage meanwhile.
 */
export interface RedisConnection {
  /** Commands; keys are prefixed by the client itself (`keyPrefix`). */
  readonly client: Redis;
  /** The prefix, for what the client does not prefix: pub/sub channels and SCAN patterns. */
  readonly prefix: string;
  /** `redis host:port/db`, never the password: for logs and errors. */
  readonly describe: string;
  /** A new connection for SUBSCRIBE, closed with this one. Connects lazily (call `connect()`). */
  subscriber(): Redis;
  /** Resolves when Redis answers PING within the command timeout; rejects otherwise. */
  ping(): Promise<void>;
  /** Ends every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects and waits for the first PING, so that a wrong URL or a Redis that is down refuses
 * the start (`redis.unavailable`) instead of failing every request later.
 */
export async function openRedis(
  settings: RedisSettings,
  logger?: RedisLogger,
): Promise<RedisConnection> {
  const target = describeRedisUrl(settings.url);
  const options: RedisOptions = {
    keyPrefix: settings.keyPrefix,
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    connectionName: 'rampart-gateway',
    retryStrategy: (attempt: number) => Math.min(attempt * 100, settings.maxReconnectDelayMs),
  };
  const redact = redactor(settings.url);
  const watch = (client: Redis, role: string) => {
    let lost = false;
    // Without an 'error' listener ioredis prints each failure to stderr (with the URL's host).
    client.on('error', (error: Error) => {
      if (lost) return;
      lost = true;
      logger?.warn({ target, role, reason: redact(error.message) }, 'redis connection lost');
    });
    client.on('ready', () => {
      if (lost) logger?.info({ target, role }, 'redis connection restored');
      lost = false;
    });
  };
  const client = new Redis(settings.url, options);
  watch(client, 'commands');
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw gatewayError(
      'redis.unavailable',
      `Cannot reach Redis (${target}): ${redact(reasonOf(error))}.`,
      { cause: error },
    );
  }
  logger?.info({ target }, 'redis connected');

  const subscribers = new Set<Redis>();
  let closed = false;
  return {
    client,
    prefix: settings.keyPrefix,
    describe: target,
    subscriber() {
      if (closed) throw gatewayError('redis.unavailable', 'The Redis connection is closed.');
      // Subscriptions are set up after 'ready', so this connection may queue while offline.
      const sub = new Redis(settings.url, {
        ...options,
        keyPrefix: undefined,
        enableOfflineQueue: true,
        commandTimeout: undefined,
        maxRetriesPerRequest: null,
        connectionName: 'rampart-gateway-subscriber',
      });
      watch(sub, 'subscriber');
      subscribers.add(sub);
      return sub;
    },
    async ping() {
      if (closed) throw gatewayError('redis.unavailable', 'The Redis connection is closed.');
      await client.ping();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const sub of subscribers) sub.disconnect();
      subscribers.clear();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** `redis host:port/db` (`rediss` for TLS): what a log line may say about the URL. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.length > 1 ? parsed.pathname : '/0';
    return `${parsed.protocol.replace(':', '')} ${parsed.host}${db}`;
  } catch {
    return 'redis (unparsable URL)';
  }
}

/** Removes the URL's password from a driver message, should one ever echo it. */
function redactor(url: string): (text: string) => string {
  let secrets: string[] = [];
  try {
    const password = new URL(url).password;
    secrets = [password, safeDecode(password)].filter((s) => s.length > 0);
  } catch {
    // An unparsable URL is refused by the schema; nothing to redact here.
  }
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('[REDACTED]'), text);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
