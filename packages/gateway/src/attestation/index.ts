import { readFileSync } from 'node:fs';
import type { X509Certificate } from '@peculiar/x509';
import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import { gatewayError } from '../errors.js';
import { MemoryReplayCache } from '../pipeline/authenticate/replay.js';
import { RedisReplayCache } from '../pipeline/authenticate/redis-replay.js';
import type { RedisConnection } from '../redis/index.js';
import type { Database } from '../store/schema.js';
import { androidKeyAttestationPlatform } from './android-key-attestation/platform.js';
import {
  createStatusListSource,
  type StatusListProvider,
  type StatusListSource,
  type TrustAnchor,
} from './android-key-attestation/index.js';
import { appleAppAttestPlatform } from './apple-app-attest/platform.js';
import { MemoryChallengeStore, RedisChallengeStore, type ChallengeStore } from './challenges.js';
import { DeviceAttestations } from './device-attestations.js';
import { firebaseAppCheckPlatform } from './firebase-app-check/platform.js';
import type { Platform, PlatformId } from './platform.js';
import { playIntegrityPlatform } from './play-integrity/platform.js';

export { PLATFORM_IDS, type Platform, type PlatformId } from './platform.js';
export { DeviceAttestations, type DeviceAttestation } from './device-attestations.js';
export { MemoryChallengeStore, RedisChallengeStore, type ChallengeStore } from './challenges.js';
export { APP_ATTEST_HEADER } from './apple-app-attest/platform.js';
export { APP_CHECK_HEADER } from './firebase-app-check/platform.js';

export interface AttestationDeps {
  readonly config: Pick<Config, 'attestation'>;
  readonly db: Kysely<Database>;
  readonly redis?: RedisConnection | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Trust anchors per platform, for tests with the testkit CA; default the pinned roots. */
  readonly roots?: {
    readonly appleAppAttest?: readonly X509Certificate[];
    readonly androidKeyAttestation?: readonly TrustAnchor[];
  };
  /** Google's revocation list; default fetched from `statusListUrl` (tests pass a fixed one). */
  readonly statusList?: StatusListProvider | StatusListSource;
}

/** What the attest stage and the `/attest/v1` routes share. */
export interface AttestationRuntime {
  readonly config: Config['attestation'];
  /** The configured platforms, by id (resolved once from `PLATFORMS`). */
  readonly platforms: ReadonlyMap<PlatformId, Platform>;
  readonly challenges: ChallengeStore;
  readonly devices: DeviceAttestations;
  readonly now: () => number;
  /** Stops background work (the revocation list refresh). */
  close(): void;
}

type PlatformFactory = (
  deps: AttestationDeps,
  now: () => number,
  closers: (() => void)[],
) => Platform | undefined;

/**
 * The platform table (DESIGN.md, "Registries are tables"): one line per platform, each
 * building its verifier from its config section, or nothing when the section is absent.
 */
const PLATFORMS = {
  'android-key-attestation': (deps, now, closers) => {
    const settings = deps.config.attestation.androidKeyAttestation;
    if (settings === undefined) return undefined;
    const revocation =
      deps.statusList ??
      createStatusListSource({
        url: settings.statusListUrl,
        maxAgeMs: settings.statusListMaxAgeHours * 3_600_000,
        clock: now,
      });
    if (isSource(revocation)) {
      revocation.start();
      closers.push(() => revocation.stop());
    }
    return androidKeyAttestationPlatform(settings, revocation, deps.roots?.androidKeyAttestation);
  },
  'apple-app-attest': (deps) => {
    const settings = deps.config.attestation.appleAppAttest;
    const roots = deps.roots?.appleAppAttest;
    return settings && appleAppAttestPlatform(settings, deps.db, roots ? { roots } : {});
  },
  'firebase-app-check': (deps, now) => {
    const settings = deps.config.attestation.firebaseAppCheck;
    if (settings === undefined) return undefined;
    const replay =
      deps.redis === undefined
        ? new MemoryReplayCache(100_000)
        : new RedisReplayCache(deps.redis.client, 'appcheck:jti');
    return firebaseAppCheckPlatform(settings, replay, now);
  },
  'play-integrity': (deps, now) => {
    const settings = deps.config.attestation.playIntegrity;
    if (settings === undefined) return undefined;
    return playIntegrityPlatform(
      settings,
      {
        decryptionKey: secret(
          deps.env,
          'decryptionKey',
          settings.decryptionKeyEnv,
          settings.decryptionKeyFile,
        ),
        verificationKey: secret(
          deps.env,
          'verificationKey',
          settings.verificationKeyEnv,
          settings.verificationKeyFile,
        ),
      },
      now,
    );
  },
} satisfies Record<PlatformId, PlatformFactory>;

/** Builds the runtime, or undefined when no platform is configured (the stage is then inert). */
export function startAttestation(deps: AttestationDeps): AttestationRuntime | undefined {
  const now = deps.now ?? Date.now;
  const platforms = new Map<PlatformId, Platform>();
  const closers: (() => void)[] = [];
  for (const [id, factory] of Object.entries(PLATFORMS) as [PlatformId, PlatformFactory][]) {
    const platform = factory(deps, now, closers);
    if (platform !== undefined) platforms.set(id, platform);
  }
  if (platforms.size === 0) return undefined;
  return {
    config: deps.config.attestation,
    platforms,
    challenges:
      deps.redis === undefined
        ? new MemoryChallengeStore({ now })
        : new RedisChallengeStore(deps.redis.client),
    devices: new DeviceAttestations(deps.db, { now }),
    now,
    close: () => {
      for (const close of closers) close();
    },
  };
}

/** A Play Console key from the environment or a file; a missing one refuses the start. */
function secret(
  env: NodeJS.ProcessEnv,
  what: string,
  variable: string | undefined,
  file: string | undefined,
): string {
  let value: string | undefined;
  try {
    value =
      variable !== undefined
        ? env[variable]
        : file !== undefined
          ? readFileSync(file, 'utf8')
          : undefined;
  } catch {
    value = undefined;
  }
  const key = value?.trim();
  if (key === undefined || key === '') {
    throw gatewayError(
      'config.secret_missing',
      `attestation.playIntegrity.${what}: ${variable !== undefined ? `environment variable ${variable}` : `file ${file ?? '(unset)'}`} is unset, empty or unreadable. Fix: provide the ${what} from Play Console there.`,
    );
  }
  return key;
}

function isSource(list: StatusListProvider | StatusListSource): list is StatusListSource {
  return typeof (list as Partial<StatusListSource>).start === 'function';
}
