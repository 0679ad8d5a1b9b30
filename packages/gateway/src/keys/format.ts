import { generateKey, importKey } from './jwk.js';
import { KeyVersion } from './key-version.js';
import { KeyProblem, isRecord } from './problem.js';
import { KEY_SPECS, type KeyName } from './specs.js';

/**
 * The key-set document: what Rampart writes to `<dataDir>/keys/<name>.json` and what a file or
 * environment variable source holds (docs/keys.md shows it):
 *
 *   { "version": 1, "name": "oidc-signing",
 *     "keys": [ { "createdAt": ISO, "jwk": {…} },                 ← keys[0]: the current key
 *               { "createdAt": ISO, "notAfter": ISO, "jwk": {…} } ] }  ← retired, still verifying
 *
 * A source may also hold one bare private JWK (`{ "kty": … }`): it becomes the only, current key.
 */
export const KEY_SET_VERSION = 1;
const MAX_KEYS = 32;

export async function newKeySet(name: KeyName, now: number): Promise<KeyVersion[]> {
  return [new KeyVersion(name, await generateKey(KEY_SPECS[name]), new Date(now), undefined)];
}

/** Parses and validates a document; throws KeyProblem naming the field at fault. */
export async function parseKeySet(text: string, name: KeyName, now: number): Promise<KeyVersion[]> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message can quote the input, which is key material.
    throw new KeyProblem('', 'is not valid JSON');
  }
  if (!isRecord(document)) throw new KeyProblem('', 'must be a JSON object');
  const spec = KEY_SPECS[name];
  if (document.kty !== undefined) {
    const material = await importKey(spec, document, 'the JWK');
    return [new KeyVersion(name, material, new Date(now), undefined)];
  }
  if (document.version !== KEY_SET_VERSION) {
    throw new KeyProblem('version', `must be ${KEY_SET_VERSION}`);
  }
  if (document.name !== name) {
    throw new KeyProblem('name', `must be "${name}" (is this the file of another key?)`);
  }
  const keys = document.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    throw new KeyProblem('keys', `must be an array of 1 to ${MAX_KEYS} entries`);
  }
  const versions: KeyVersion[] = [];
  // One at a time: the first entry at fault is the one reported.
  for (const [index, entry] of (keys as unknown[]).entries()) {
    const path = `keys[${index}]`;
    if (!isRecord(entry)) throw new KeyProblem(path, 'must be an object');
    const createdAt = date(entry.createdAt, `${path}.createdAt`);
    if (createdAt === undefined) throw new KeyProblem(`${path}.createdAt`, 'is required');
    const notAfter = date(entry.notAfter, `${path}.notAfter`);
    if (index === 0 && notAfter !== undefined) {
      throw new KeyProblem(`${path}.notAfter`, 'must be absent: keys[0] is the current key');
    }
    const material = await importKey(spec, entry.jwk, `${path}.jwk`);
    versions.push(new KeyVersion(name, material, createdAt, notAfter));
  }
  const kids = new Set<string>();
  for (const [index, version] of versions.entries()) {
    if (kids.has(version.kid)) throw new KeyProblem(`keys[${index}].jwk.kid`, 'is not unique');
    kids.add(version.kid);
  }
  return versions;
}

export function serializeKeySet(name: KeyName, versions: readonly KeyVersion[]): string {
  const document = {
    version: KEY_SET_VERSION,
    name,
    keys: versions.map((version) => ({
      createdAt: version.createdAt.toISOString(),
      ...(version.notAfter === undefined ? {} : { notAfter: version.notAfter.toISOString() }),
      jwk: version.exportPrivateJwk(),
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function date(value: unknown, path: string): Date | undefined {
  if (value === undefined) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new KeyProblem(path, 'must be an ISO 8601 date-time string');
  return new Date(time);
}
