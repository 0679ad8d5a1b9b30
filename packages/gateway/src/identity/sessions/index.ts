import { Counter } from 'prom-client';
import type { Config } from '../../config/index.js';
import type { Keyring } from '../../keys/index.js';
import type { GatewayMetrics } from '../../monitor/metrics.js';
import {
  createAuthenticator,
  RedisReplayCache,
  type Authenticator,
  type ServiceKeyLookup,
} from '../../pipeline/authenticate/index.js';
import type { TrustedIssuer } from '../../pipeline/authenticate/verify.js';
import type { RedisConnection } from '../../redis/index.js';
import type { Store } from '../../store/index.js';
import { revocationGate } from './gate.js';
import { SessionRepository } from './repository.js';
import type { RevocationHorizon } from './revocation-list.js';
import { Revocations, type RevocationLogger } from './revocations.js';
import { SessionService } from './service.js';
import { SessionTracker } from './tracker.js';

export { SessionRepository, MAX_LISTED } from './repository.js';
export type {
  DeviceRecord,
  Revocation,
  RevocationKind,
  SessionRecord,
  SubjectKey,
} from './repository.js';
export { RevocationList, type RevocationHorizon, type RevokedBy } from './revocation-list.js';
export {
  publishRevocation,
  revocationChannel,
  Revocations,
  type RevocationHooks,
} from './revocations.js';
export {
  localSessionService,
  SessionService,
  type DeviceView,
  type SessionView,
} from './service.js';
export { SessionTracker, type TrackerStats } from './tracker.js';
export { revocationGate } from './gate.js';

export interface SessionsDeps {
  readonly config: Config;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly redis: RedisConnection | undefined;
  readonly logger: RevocationLogger;
  readonly metrics?: GatewayMetrics;
  /** Where service keys (`rk_…`) are looked up, when `auth.serviceKeys.enabled`. */
  readonly serviceKeys?: ServiceKeyLookup;
  /** The embedded provider as a trusted issuer, when `identity.enabled`. */
  readonly localIssuer?: TrustedIssuer;
  /** Demo mode's development-token issuer (identity/dev-token). */
  readonly devIssuer?: TrustedIssuer | undefined;
}

/** What server.ts starts for identity: the shared authenticator and the sessions admin. */
export interface SessionsRuntime {
  /** Shared by the `/v1` stage and the admin API; undefined when no issuer is configured. */
  readonly authenticator: Authenticator | undefined;
  readonly sessions: SessionService;
  /** The embedded provider's hooks go in with `revocations.useHooks(…)`. */
  readonly revocations: Revocations;
  readonly tracker: SessionTracker;
  /** Writes the registry's queued sightings and stops listening for revocations. */
  close(): Promise<void>;
}

/**
 * How long a revocation can matter, per issuer. For the embedded provider every login ends
 * `identity.refreshTokenTtlSeconds` after it began and each access token it minted expires
 * `accessTokenTtlSeconds` after its issue, so nothing a revocation could refuse is valid that
 * long (plus the clock skew) after it. An external issuer's token and login lifetimes are not
 * known to the gateway: its revocations are kept.
 */
export function revocationHorizon(
  config: Pick<Config, 'identity'>,
  localIssuer: TrustedIssuer | undefined,
): RevocationHorizon {
  if (localIssuer === undefined) return new Map();
  const { issuer, clockSkewSeconds } = localIssuer.config;
  const { refreshTokenTtlSeconds, accessTokenTtlSeconds } = config.identity;
  const keepMs = (refreshTokenTtlSeconds + accessTokenTtlSeconds + clockSkewSeconds) * 1000;
  return new Map([[issuer, keepMs]]);
}

/**
 * Wires the resource server to the store and Redis: DPoP proof ids in Redis when `redis.url`
 * is set (replicas share them), server nonces from the `cookie-secret` key, revocations loaded
 * and subscribed to, and the registry recorder.
 */
export async function startSessions(deps: SessionsDeps): Promise<SessionsRuntime> {
  const repository = new SessionRepository(deps.store.db);
  const revocations = await Revocations.open({
    repository,
    redis: deps.redis,
    logger: deps.logger,
    horizon: revocationHorizon(deps.config, deps.localIssuer),
  });
  const failures =
    deps.metrics === undefined
      ? undefined
      : new Counter({
          name: 'rampart_session_registry_write_failures_total',
          help: 'Batches of device and session sightings that could not be written to the store.',
          registers: [deps.metrics.registry],
        });
  const tracker = new SessionTracker(repository, {
    logger: deps.logger,
    ...(failures === undefined ? {} : { onWriteFailed: () => failures.inc() }),
  });
  const authenticator = createAuthenticator({
    config: deps.config,
    ...(deps.redis === undefined ? {} : { replay: new RedisReplayCache(deps.redis.client) }),
    nonceKeys: () => deps.keyring.verificationKeys('cookie-secret').map((version) => version.key),
    admit: revocationGate(revocations.list, tracker),
    serviceKeys: deps.serviceKeys,
    localIssuer: deps.localIssuer,
    devIssuer: deps.devIssuer,
  });
  const sessions = new SessionService(repository, revocations.list, (kind, owner, target) =>
    revocations.revoke(kind, owner, target),
  );
  return {
    authenticator,
    sessions,
    revocations,
    tracker,
    async close() {
      await tracker.close();
      await revocations.close();
    },
  };
}
