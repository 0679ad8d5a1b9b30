import { join, resolve } from 'node:path';
import { isRampartError, type RampartError } from '@rampart/core';
import { gatewayError } from '../errors.js';
import {
  ensureKeyDir,
  MAX_KEY_BYTES,
  readKeyFile,
  readKeyFileIfPresent,
  writeKeyFile,
} from './files.js';
import { newKeySet, parseKeySet, serializeKeySet } from './format.js';
import type { KeyVersion } from './key-version.js';
import {
  Keyring,
  type KeyReload,
  type KeyringOptions,
  type KeySource,
  type Origin,
  type Slot,
} from './keyring.js';
import { KeyProblem } from './problem.js';
import { DEFAULT_ROTATION_OVERLAP_MS, KEY_NAMES, isKeyName, type KeyName } from './specs.js';

/**
 * Loads every key Rampart needs, generating in `<dataDir>/keys/` those no source names. Fails
 * with a `keys.*` error naming the file or variable and the fix; it never regenerates a key
 * it could not read, since a new key silently invalidates every token or ciphertext of the old.
 */
export async function openKeyring(options: KeyringOptions): Promise<Keyring> {
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const keyDir = join(resolve(options.dataDir), 'keys');
  for (const name of Object.keys(options.sources)) {
    if (!isKeyName(name)) {
      throw gatewayError(
        'config.invalid',
        `keys.${name}: unknown key; known: ${KEY_NAMES.join(', ')}.`,
      );
    }
  }
  const overlap = options.rotationOverlapMs ?? DEFAULT_ROTATION_OVERLAP_MS;
  if (!Number.isFinite(overlap) || overlap < 0) {
    throw gatewayError(
      'config.invalid',
      'The key rotation overlap must be a duration of 0 ms or more.',
    );
  }
  const slots = new Map<KeyName, Slot>();
  let dirReady = false;
  for (const name of KEY_NAMES) {
    const source = options.sources[name];
    if (source !== undefined) {
      slots.set(name, await loadSource(name, source, env, now()));
      continue;
    }
    if (!dirReady) {
      await ensureKeyDir(keyDir);
      dirReady = true;
    }
    slots.set(name, await loadOrGenerate(name, join(keyDir, `${name}.json`), now()));
  }
  return new Keyring(slots, now, overlap);
}

/** A key source that cannot be used: the option that names it and the error saying why. */
export interface KeySourceProblem {
  /** `keys.<name>.file` or `keys.<name>.env`. */
  readonly key: string;
  readonly error: RampartError;
}

/**
 * Reads and validates every key named by a source (file or environment variable) without
 * touching `dataDir`: what `rampart config check` and the start-up precheck use, so that both
 * refuse exactly what openKeyring would.
 */
export async function checkKeySources(
  sources: KeyringOptions['sources'],
  env: Readonly<Record<string, string | undefined>> = process.env,
  now: number = Date.now(),
): Promise<KeySourceProblem[]> {
  const problems: KeySourceProblem[] = [];
  for (const [name, source] of Object.entries(sources) as Array<[KeyName, KeySource?]>) {
    if (source === undefined) continue;
    try {
      await loadSource(name, source, env, now);
    } catch (error) {
      if (!isRampartError(error)) throw error;
      const option = source.file !== undefined ? 'file' : 'env';
      problems.push({ key: `keys.${name}.${option}`, error });
    }
  }
  return problems;
}

async function loadSource(
  name: KeyName,
  source: KeySource,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): Promise<Slot> {
  if ((source.file === undefined) === (source.env === undefined)) {
    throw gatewayError(
      'config.invalid',
      `keys.${name}: name either a file or an env variable, not ${source.file === undefined ? 'neither' : 'both'}.`,
    );
  }
  if (source.file !== undefined) {
    const origin = { kind: 'file', file: source.file } as const;
    const text = await readKeyFile(source.file, name);
    return { origin, versions: await parse(name, text, origin, now) };
  }
  const variable = source.env as string;
  const origin = { kind: 'env', variable } as const;
  const text = env[variable];
  if (text === undefined || text.trim() === '') {
    throw gatewayError(
      'keys.unreadable',
      `Environment variable ${variable} (${name}) is unset or empty. Fix: set it to the key (see docs/keys.md).`,
    );
  }
  if (Buffer.byteLength(text) > MAX_KEY_BYTES) {
    throw gatewayError(
      'keys.unreadable',
      `Environment variable ${variable} (${name}) is larger than ${MAX_KEY_BYTES} bytes.`,
    );
  }
  return { origin, versions: await parse(name, text, origin, now) };
}

async function loadOrGenerate(name: KeyName, file: string, now: number): Promise<Slot> {
  const origin = { kind: 'generated', file } as const;
  const existing = await readKeyFileIfPresent(file, name);
  if (existing !== undefined) return { origin, versions: await parse(name, existing, origin, now) };
  const versions = await newKeySet(name, now);
  if (await writeKeyFile(file, serializeKeySet(name, versions), 'create'))
    return { origin, versions };
  // Another process generated it between our read and our write: use theirs.
  return { origin, versions: await parse(name, await readKeyFile(file, name), origin, now) };
}

/**
 * Rereads every key set of a running keyring from its file (generated or supplied; an
 * environment variable cannot change in a running process), with the same checks as at start
 * (mode, size, format). See Keyring.reload.
 */
export function reloadKeyring(keyring: Keyring, now: () => number = Date.now): Promise<KeyReload> {
  return keyring.reload(async (name, origin) => {
    if (origin.kind === 'env') return undefined;
    const text =
      origin.kind === 'generated'
        ? await readKeyFileIfPresent(origin.file, name)
        : await readKeyFile(origin.file, name);
    // A generated file deleted under a running gateway: keep the keys held (never regenerate).
    if (text === undefined) return undefined;
    return parse(name, text, origin, now());
  });
}

async function parse(
  name: KeyName,
  text: string,
  origin: Origin,
  now: number,
): Promise<KeyVersion[]> {
  try {
    if (text.trim() === '') throw new KeyProblem('', 'is empty');
    return await parseKeySet(text, name, now);
  } catch (error) {
    if (!(error instanceof KeyProblem)) throw error;
    const fix =
      origin.kind === 'generated'
        ? 'restore it from a backup, or delete it to generate a new key (what the old key signed stops verifying; what it encrypted becomes unreadable)'
        : 'supply a key set or JWK as described in docs/keys.md';
    throw gatewayError(
      'keys.invalid',
      `${describe(origin)} does not hold a valid ${name} key: ${error.message}. Fix: ${fix}.`,
      { extensions: origin.kind === 'env' ? { env: origin.variable } : { file: origin.file } },
    );
  }
}

function describe(origin: Origin): string {
  return origin.kind === 'env'
    ? `Environment variable ${origin.variable}`
    : `Key file ${origin.file}`;
}
