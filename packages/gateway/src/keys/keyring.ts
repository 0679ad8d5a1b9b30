import type { JsonWebKey } from 'node:crypto';
import { inspect } from 'node:util';
import { gatewayError } from '../errors.js';
import { writeKeyFile } from './files.js';
import { serializeKeySet } from './format.js';
import { generateKey } from './jwk.js';
import { KeyVersion } from './key-version.js';
import { KEY_SPECS, type KeyName, type PublicKeyName } from './specs.js';

/** Where a key comes from when it is not generated: replicas must all read the same key. */
export interface KeySource {
  /** Path of a file holding the key-set document or a bare JWK (mode 0600 or stricter). */
  readonly file?: string;
  /** Name of an environment variable holding the same. */
  readonly env?: string;
}

export type KeySources = Partial<Record<KeyName, KeySource>>;

export interface KeyringOptions {
  /** Generated keys live in `<dataDir>/keys/<name>.json`. */
  readonly dataDir: string;
  readonly sources: KeySources;
  /** How long a rotated-out key keeps verifying (default 7 days). */
  readonly rotationOverlapMs?: number;
  /** Epoch milliseconds; injectable so that expiry is tested without waiting. */
  readonly now?: () => number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface JwkSet {
  readonly keys: JsonWebKey[];
}

export type Origin =
  | { readonly kind: 'generated'; readonly file: string }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'env'; readonly variable: string };

export interface Slot {
  readonly origin: Origin;
  /** versions[0] is the current key. */
  versions: readonly KeyVersion[];
}

/** Reads one key set anew from its origin; undefined when the origin cannot change. */
export type KeySetReader = (
  name: KeyName,
  origin: Origin,
) => Promise<readonly KeyVersion[] | undefined>;

/** What a reload found: the key sets that changed, and those that could not be reread. */
export interface KeyReload {
  readonly changed: readonly KeyName[];
  readonly problems: ReadonlyArray<{ readonly name: KeyName; readonly error: unknown }>;
}

/** What identifies a key set's state: each version's kid and end, in order. */
function fingerprint(versions: readonly KeyVersion[]): string {
  return versions.map((version) => `${version.kid}@${version.notAfter?.getTime() ?? ''}`).join(' ');
}

/**
 * The loaded keys. `current(name)` signs or encrypts; `verificationKeys(name)` lists every key
 * still accepted (the current one first), so that tokens signed before a rotation keep
 * verifying until the old key's `notAfter`; `jwks(name)` publishes their public halves.
 */
export class Keyring {
  readonly #slots: Map<KeyName, Slot>;
  readonly #now: () => number;
  readonly #overlapMs: number;
  #rotating: Promise<unknown> = Promise.resolve();
  #generation = 0;

  /** @internal Use openKeyring(). */
  constructor(slots: Map<KeyName, Slot>, now: () => number, overlapMs: number) {
    this.#slots = slots;
    this.#now = now;
    this.#overlapMs = overlapMs;
  }

  /**
   * Counts the changes of any key set since the keyring was opened (a rotation here, or a
   * reload that found new versions): what a consumer compares to rebuild what it derived.
   */
  get generation(): number {
    return this.#generation;
  }

  current(name: KeyName): KeyVersion {
    return this.#slot(name).versions[0] as KeyVersion;
  }

  verificationKeys(name: KeyName): readonly KeyVersion[] {
    const now = this.#now();
    return this.#slot(name).versions.filter((version) => version.isUsableAt(now));
  }

  /** The public keys a verifier needs: every unexpired version of an asymmetric key. */
  jwks(name: PublicKeyName): JwkSet {
    return {
      keys: this.verificationKeys(name).flatMap((version): JsonWebKey[] => {
        const jwk = version.publicJwk();
        return jwk === undefined ? [] : [jwk];
      }),
    };
  }

  /**
   * Makes a new current key and keeps the previous one verifying for `overlapMs` (default: the
   * keyring's, 7 days; data-kek keeps it until removed unless an overlap is given). Expired
   * versions are dropped. Only generated keys rotate: a file or variable source is never written.
   */
  rotate(name: KeyName, options: { readonly overlapMs?: number } = {}): Promise<KeyVersion> {
    const run = this.#rotating.then(() => this.#rotate(name, options.overlapMs));
    this.#rotating = run.catch(() => undefined);
    return run;
  }

  async #rotate(name: KeyName, overlapMs: number | undefined): Promise<KeyVersion> {
    const slot = this.#slot(name);
    if (slot.origin.kind !== 'generated') {
      throw gatewayError(
        'keys.read_only',
        `${name} is read from ${slot.origin.kind === 'env' ? `environment variable ${slot.origin.variable}` : `file ${slot.origin.file}`}; rotate it there (see docs/keys.md).`,
      );
    }
    if (overlapMs !== undefined && (!Number.isFinite(overlapMs) || overlapMs < 0)) {
      throw new RangeError('overlapMs must be a duration of 0 ms or more');
    }
    const now = this.#now();
    const spec = KEY_SPECS[name];
    const overlap = overlapMs ?? (spec.retainRetired ? undefined : this.#overlapMs);
    const [previous, ...older] = slot.versions;
    const retired = previous?.retire(overlap === undefined ? undefined : new Date(now + overlap));
    const fresh = new KeyVersion(name, await generateKey(spec), new Date(now), undefined);
    const versions = [fresh, ...(retired ? [retired] : []), ...older].filter((version) =>
      version.isUsableAt(now),
    );
    await writeKeyFile(slot.origin.file, serializeKeySet(name, versions), 'replace');
    slot.versions = versions;
    this.#generation += 1;
    return fresh;
  }

  /**
   * Rereads every key set from where it came from (`read` answers undefined for a source that
   * cannot change, an environment variable) and takes the versions that differ from those held
   * — by kid, order and `notAfter` — so that a rotation made by another process (`rampart keys
   * rotate`) or new key files on a replica are used without a restart. A set that cannot be
   * read or parsed leaves the held one in place and is reported; never throws for one.
   * Serialised with rotate(), so neither overwrites the other's result.
   */
  reload(read: KeySetReader): Promise<KeyReload> {
    const run = this.#rotating.then(() => this.#reload(read));
    this.#rotating = run.catch(() => undefined);
    return run;
  }

  async #reload(read: KeySetReader): Promise<KeyReload> {
    const changed: KeyName[] = [];
    const problems: Array<{ readonly name: KeyName; readonly error: unknown }> = [];
    for (const [name, slot] of this.#slots) {
      let versions: readonly KeyVersion[] | undefined;
      try {
        versions = await read(name, slot.origin);
      } catch (error) {
        problems.push({ name, error });
        continue;
      }
      if (versions === undefined || versions.length === 0) continue;
      if (fingerprint(versions) === fingerprint(slot.versions)) continue;
      slot.versions = versions;
      changed.push(name);
    }
    if (changed.length > 0) this.#generation += 1;
    return { changed, problems };
  }

  #slot(name: KeyName): Slot {
    const slot = this.#slots.get(name);
    if (slot === undefined) throw new RangeError(`unknown key ${String(name)}`);
    return slot;
  }

  /** What a log line or a health report may show: names, sources and key ids, no material. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, slot] of this.#slots) {
      out[name] = {
        source: slot.origin.kind,
        current: slot.versions[0]?.kid,
        verifying: this.verificationKeys(name).map((version) => version.kid),
      };
    }
    return out;
  }

  [inspect.custom](): string {
    return `Keyring ${inspect(this.toJSON(), { depth: 3 })}`;
  }
}
