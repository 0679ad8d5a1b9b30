import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { startAttestation, type AttestationDeps } from './attestation/index.js';
import { gatewayError } from './errors.js';
import {
  describeSkipped,
  keySources,
  resolveProviderSettings,
  resolveSecrets,
  secretsError,
  type Config,
} from './config/index.js';
import { startDemo, type DemoSetup } from './demo.js';
import { createLogger } from './logging.js';
import { createMetrics } from './monitor/metrics.js';
import { createModelRouter, type ModelRoute } from './pipeline/parse/router.js';
import { createProvider } from './providers/index.js';
import type { Provider } from './providers/types.js';
import { ServiceKeyRepository } from './identity/service-keys/index.js';
import {
  createAccountService,
  redisLimiters,
  type AccountService,
} from './identity/accounts/index.js';
import { localIssuerTrust, providerRevocationHooks } from './identity/provider/index.js';
import { devIssuerTrust } from './identity/dev-token/index.js';
import { openKeyring, watchKeyring, type Keyring } from './keys/index.js';
import { openStore, UsageRecorder, type Store } from './store/index.js';
import { openRedis } from './redis/index.js';
import { startSessions, type SessionsRuntime } from './identity/sessions/index.js';

export interface StartOptions {
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Collect Node's process metrics too (off in tests that build many apps). */
  readonly processMetrics?: boolean;
  /** The accounts domain the embedded provider's login pages use (`identity.enabled`). */
  readonly accounts?: AccountService;
  /** Attestation trust anchors and revocation list, for tests with the testkit CAs. */
  readonly attestation?: Pick<AttestationDeps, 'roots' | 'statusList' | 'now'>;
}

export interface RunningGateway {
  readonly app: FastifyInstance;
  /** The address actually bound (the port is real even when 0 was asked). */
  readonly url: string;
  readonly config: Config;
  /** The model aliases served: optional providers left out for a missing key take theirs along. */
  readonly models: readonly string[];
  readonly demo: DemoSetup | undefined;
  readonly store: Store;
  readonly keyring: Keyring;
  /** The shared authenticator, the sessions admin and the revocations (provider hooks go there). */
  readonly identity: SessionsRuntime;
  /**
   * Graceful: fail readiness and refuse new `/v1` requests for `drainDelayMs` while still
   * listening, then close the listener, let in-flight requests finish within the grace, and
   * end what is left.
   */
  close(): Promise<void>;
}

/** Starts everything a gateway needs, in dependency order, and undoes it in reverse on failure. */
export async function startGateway(
  config: Config,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(config.log.level);
  const env = options.env ?? process.env;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    // Secrets first: a missing key refuses the start before the store is opened or migrated.
    const secrets = await resolveSecrets(config, env);
    if (secrets.problems.length > 0) throw secretsError(secrets.problems);
    for (const skipped of secrets.skipped) {
      logger.warn(
        { provider: skipped.name, key: skipped.problem.key, models: skipped.models },
        describeSkipped(skipped),
      );
    }

    const store = await openStore({ url: config.database.url, dataDir: config.dataDir }, logger);
    cleanup.push(() => store.close());
    const keyring = await openKeyring({
      dataDir: config.dataDir,
      sources: keySources(config.keys),
      env,
    });
    // Key files are reread every minute and on SIGHUP: a rotation needs no restart.
    const keyWatch = watchKeyring(keyring, { logger });
    cleanup.push(() => Promise.resolve(keyWatch.stop()));
    const recorder = new UsageRecorder(store, { logger, ...config.usage });
    cleanup.push(() => recorder.close());
    const metrics = createMetrics({
      defaultMetrics: options.processMetrics ?? true,
      usageStats: () => recorder.stats,
    });
    const redisUrl = config.redis.url;
    const redis =
      redisUrl === undefined
        ? undefined
        : await openRedis({ ...config.redis, url: redisUrl }, logger);
    if (redis) cleanup.push(() => redis.close());
    const serviceKeys = new ServiceKeyRepository(store.db);
    const localIssuer = config.identity.enabled ? localIssuerTrust(config, keyring) : undefined;
    const identity = await startSessions({
      config,
      store,
      keyring,
      redis,
      logger,
      metrics,
      serviceKeys,
      ...(localIssuer === undefined ? {} : { localIssuer }),
      devIssuer: devIssuerTrust(config, keyring),
    });
    cleanup.push(() => identity.close());
    if (localIssuer !== undefined) {
      identity.revocations.useHooks(providerRevocationHooks(store.db, localIssuer.config.issuer));
    }

    const attestation = startAttestation({
      config,
      db: store.db,
      redis,
      env,
      ...(options.attestation === undefined ? {} : options.attestation),
    });
    if (attestation) cleanup.push(() => Promise.resolve(attestation.close()));

    const demo = config.demo ? await startDemo() : undefined;
    if (demo) cleanup.push(() => demo.mock.close());
    const settings = demo
      ? Object.entries(demo.providers).map(([name, provider]) =>
          resolveProviderSettings(name, provider, env),
        )
      : [...secrets.providers.values()];
    const modelConfigs = demo?.models ?? secrets.models;

    const providers = new Map<string, Provider>();
    for (const provider of settings) providers.set(provider.name, createProvider(provider));
    cleanup.push(async () => {
      await Promise.allSettled([...providers.values()].map((provider) => provider.close()));
    });
    const extraParameters = new Map(settings.map((s) => [s.name, s.extraParameters ?? []]));
    const routes: ModelRoute[] = Object.entries(modelConfigs).map(([alias, model]) => ({
      alias,
      kind: model.kind,
      upstreamModel: model.model,
      provider: providers.get(model.provider) as Provider,
      extraParameters: extraParameters.get(model.provider) ?? [],
    }));

    const shutdown = new AbortController();
    let draining = false;
    const app = buildApp({
      config,
      logger,
      router: createModelRouter(routes),
      metrics,
      usage: recorder,
      serviceKeys,
      pingDatabase: () => store.ping(),
      pingRedis: redis && (() => redis.ping()),
      authenticator: identity.authenticator,
      sessions: identity.sessions,
      attestation,
      redis,
      db: store.db,
      shutdown: shutdown.signal,
      isDraining: () => draining,
      identity: config.identity.enabled
        ? {
            db: store.db,
            keyring,
            accounts:
              options.accounts ??
              createAccountService({
                db: store.db,
                keyring,
                config: config.accounts,
                publicUrl: config.server.publicUrl,
                logger,
                ...(redis === undefined ? {} : { limiters: redisLimiters(redis.client) }),
              }),
          }
        : undefined,
    });
    await app.listen({ host: config.server.host, port: config.server.port });
    const address = app.server.address();
    const port =
      typeof address === 'object' && address !== null ? address.port : config.server.port;
    const scheme = config.server.tls ? 'https' : 'http';
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        // Readiness fails first, while still listening, so load balancers stop sending.
        draining = true;
        if (config.server.drainDelayMs > 0) await delay(config.server.drainDelayMs);
        await drain(app, config.server.shutdownGraceMs, shutdown);
        for (const step of cleanup.reverse()) await step();
      })());
    if (config.server.allowInsecureHttp) {
      logger.warn('server.allowInsecureHttp is on: tokens and prompts travel unencrypted');
    }
    if (config.auth.mode === 'none') {
      logger.warn(
        'auth.mode is none: /v1 is anonymous, with no authentication, authorization or per-user limits',
      );
    }
    if (config.server.allowUnauthenticated) {
      logger.warn(
        'server.allowUnauthenticated is on: anyone who reaches this address can use the provider keys',
      );
    }
    const models = Object.keys(modelConfigs);
    return {
      app,
      url: `${scheme}://${host}:${port}`,
      config,
      models,
      demo,
      store,
      keyring,
      identity,
      close,
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    throw error;
  }
}

/**
 * Stops accepting, lets in-flight requests finish for up to `graceMs`, then aborts what is left
 * (streams end with a terminal `server.shutting_down` event) and closes every connection.
 */
async function drain(
  app: FastifyInstance,
  graceMs: number,
  shutdown: AbortController,
): Promise<void> {
  const closed = app.close();
  // Node closes idle keep-alive sockets once; sockets that become idle later need a nudge.
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  const graceTimer = setTimeout(() => {
    shutdown.abort(gatewayError('server.shutting_down', 'The gateway is shutting down.'));
    setTimeout(() => app.server.closeAllConnections(), 1000).unref();
  }, graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(graceTimer);
  }
}
