import type { FastifyInstance } from 'fastify';
import type { DpopKey, MockIssuer } from '@rampart/testkit';
import { dpopProof } from '@rampart/testkit';
import type { IsAdmin } from '../../src/admin/index.js';
import { buildApp } from '../../src/app.js';
import { validateConfig, type Config } from '../../src/config/index.js';
import { localIssuerTrust } from '../../src/identity/provider/index.js';
import { startSessions, type SessionsRuntime } from '../../src/identity/sessions/index.js';
import { openKeyring } from '../../src/keys/index.js';
import { createLogger } from '../../src/logging.js';
import { createMetrics } from '../../src/monitor/metrics.js';
import { createModelRouter } from '../../src/pipeline/parse/router.js';
import { openRedis, type RedisConnection } from '../../src/redis/index.js';
import { openStore, type Store, type StoreSettings } from '../../src/store/index.js';

export const PUBLIC_URL = 'https://ai.example.com';

/** One replica as server.ts wires it (store, keyring, Redis, sessions, app), without a listener. */
export interface TestGateway {
  readonly app: FastifyInstance;
  readonly runtime: SessionsRuntime;
  readonly store: Store;
  readonly redis: RedisConnection | undefined;
  readonly config: Config;
  close(): Promise<void>;
}

export async function startTestGateway(options: {
  readonly store: StoreSettings;
  readonly issuer: MockIssuer;
  readonly redis?: { readonly url: string; readonly prefix: string };
  readonly admin?: Record<string, unknown>;
  readonly isAdmin?: IsAdmin;
  /** More configuration, merged over the rest (top-level sections replace theirs). */
  readonly config?: Record<string, unknown>;
}): Promise<TestGateway> {
  const { issuer } = options;
  const config = validateConfig({
    dataDir: options.store.dataDir,
    server: { publicUrl: PUBLIC_URL },
    auth: {
      issuers: [
        {
          issuer: issuer.issuer,
          jwksUri: issuer.jwksUri,
          audiences: [issuer.audience],
          claims: { tenant: 'tenant' },
        },
      ],
    },
    // Deny by default (authorize): users may list models, the one /v1 call these tests make.
    authz: { roles: { user: [{ endpoints: ['models'], aliases: ['*'] }] } },
    ...(options.redis === undefined
      ? {}
      : { redis: { url: options.redis.url, keyPrefix: options.redis.prefix } }),
    ...(options.admin === undefined ? {} : { admin: options.admin }),
    ...options.config,
  });
  const logger = createLogger('silent');
  const store = await openStore(options.store);
  const keyring = await openKeyring({ dataDir: config.dataDir, sources: {}, env: {} });
  const redisUrl = config.redis.url;
  const redis =
    redisUrl === undefined ? undefined : await openRedis({ ...config.redis, url: redisUrl });
  const metrics = createMetrics({ defaultMetrics: false });
  // With identity.enabled (the admin accounts routes), the embedded issuer is trusted too.
  const localIssuer = config.identity.enabled ? localIssuerTrust(config, keyring) : undefined;
  const runtime = await startSessions({
    config,
    store,
    keyring,
    redis,
    logger,
    metrics,
    ...(localIssuer === undefined ? {} : { localIssuer }),
  });
  const app = buildApp({
    config,
    logger,
    router: createModelRouter([]),
    metrics,
    usage: { add: () => undefined },
    pingDatabase: () => store.ping(),
    pingRedis: redis && (() => redis.ping()),
    shutdown: new AbortController().signal,
    isDraining: () => false,
    authenticator: runtime.authenticator,
    sessions: runtime.sessions,
    db: store.db,
    ...(options.isAdmin === undefined ? {} : { isAdmin: options.isAdmin }),
  });
  return {
    app,
    runtime,
    store,
    redis,
    config,
    async close() {
      await app.close();
      await runtime.close();
      await redis?.close();
      await store.close();
    },
  };
}

/** Claims of a user of `tenant` with a session. */
export const userClaims = (tenant: string, sid: string, subject = 'user-1') => ({
  sub: subject,
  tenant,
  sid,
  roles: ['user'],
});

/** Claims of an admin of `tenant` who signed in with two factors. */
export const adminClaims = (tenant: string, extra: Record<string, unknown> = {}) => ({
  sub: `admin-of-${tenant}`,
  tenant,
  roles: ['admin'],
  amr: ['pwd', 'otp'],
  ...extra,
});

/** A request with a fresh token and, for a device, a fresh DPoP proof. */
export async function call(
  gateway: TestGateway,
  issuer: MockIssuer,
  options: {
    readonly method?: 'GET' | 'DELETE';
    readonly url: string;
    readonly claims: Record<string, unknown>;
    readonly device?: DpopKey;
    readonly now?: number;
  },
) {
  const method = options.method ?? 'GET';
  const token = await issuer.accessToken(options.claims, {
    ...(options.device === undefined ? {} : { dpop: options.device }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const headers: Record<string, string> = {};
  if (options.device === undefined) {
    headers['authorization'] = `Bearer ${token}`;
  } else {
    headers['authorization'] = `DPoP ${token}`;
    headers['dpop'] = await dpopProof(options.device, {
      htm: method,
      htu: `${PUBLIC_URL}${options.url}`,
      accessToken: token,
    });
  }
  return gateway.app.inject({ method, url: options.url, headers });
}
