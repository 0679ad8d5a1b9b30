import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { fromStore, PLATFORM_IDS, type PlatformId } from './platform.js';

/**
 * Which device keys are attested, and until when: the `attestation_state` of the device
 * registry (migration 0005, identity/sessions), written when a device key passes Android key
 * attestation or Play Integrity and read by the attest stage on every request. Reads are cached
 * per key for `cacheTtlMs` (a few seconds) — positive and negative answers alike — so the stage
 * costs no query per request; an attestation recorded on one replica reaches the others within
 * that time. A revoked device needs nothing here: its tokens are refused by authenticate.
 */
export interface DeviceKey {
  readonly tenant: string;
  readonly issuer: string;
  readonly subject: string;
  readonly jkt: string;
}

export interface DeviceAttestation {
  readonly platform: PlatformId;
  /** Epoch milliseconds. */
  readonly attestedAt: number;
  readonly expiresAt: number;
}

const MAX_CACHED = 50_000;

export class DeviceAttestations {
  readonly #db: Kysely<Database>;
  readonly #now: () => number;
  readonly #cacheTtlMs: number;
  readonly #cache = new Map<string, { state: DeviceAttestation | undefined; until: number }>();

  constructor(
    db: Kysely<Database>,
    options: { readonly now?: () => number; readonly cacheTtlMs?: number } = {},
  ) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#cacheTtlMs = options.cacheTtlMs ?? 5_000;
  }

  /** Records that `key` passed `state.platform`'s attestation (an upsert of the device row). */
  async record(key: DeviceKey, state: DeviceAttestation): Promise<void> {
    const now = this.#now();
    const json = JSON.stringify(state);
    await fromStore(() =>
      this.#db
        .insertInto('devices')
        .values({
          tenant: key.tenant,
          issuer: key.issuer,
          subject: key.subject,
          jkt: key.jkt,
          first_seen_at: now,
          last_seen_at: now,
          attestation_state: json,
        })
        .onConflict((conflict) =>
          conflict
            .columns(['tenant', 'issuer', 'subject', 'jkt'])
            .doUpdateSet({ attestation_state: json }),
        )
        .execute(),
    );
    this.#remember(key, state, now);
  }

  /** The key's attestation while it holds; undefined when none or expired. */
  async find(key: DeviceKey): Promise<DeviceAttestation | undefined> {
    const now = this.#now();
    const cacheKey = cacheKeyOf(key);
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined && cached.until > now) return live(cached.state, now);
    const row = await fromStore(() =>
      this.#db
        .selectFrom('devices')
        .select('attestation_state')
        .where('tenant', '=', key.tenant)
        .where('issuer', '=', key.issuer)
        .where('subject', '=', key.subject)
        .where('jkt', '=', key.jkt)
        .executeTakeFirst(),
    );
    const state = parseState(row?.attestation_state ?? null);
    this.#remember(key, state, now);
    return live(state, now);
  }

  #remember(key: DeviceKey, state: DeviceAttestation | undefined, now: number): void {
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(cacheKeyOf(key), { state, until: now + this.#cacheTtlMs });
  }
}

function cacheKeyOf(key: DeviceKey): string {
  return JSON.stringify([key.tenant, key.issuer, key.subject, key.jkt]);
}

function live(state: DeviceAttestation | undefined, now: number): DeviceAttestation | undefined {
  return state !== undefined && state.expiresAt > now ? state : undefined;
}

/** The stored JSON, or undefined when absent or not of this shape (never trusted blindly). */
export function parseState(text: string | null): DeviceAttestation | undefined {
  if (text === null || text.length > 1024) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { platform, attestedAt, expiresAt } = value as Record<string, unknown>;
  if (
    !PLATFORM_IDS.includes(platform as PlatformId) ||
    typeof attestedAt !== 'number' ||
    typeof expiresAt !== 'number'
  ) {
    return undefined;
  }
  return { platform: platform as PlatformId, attestedAt, expiresAt };
}
