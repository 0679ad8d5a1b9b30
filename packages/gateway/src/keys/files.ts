import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gatewayError } from '../errors.js';

/** Far above a key set of 32 keys; a bound before reading, as for any untrusted input. */
export const MAX_KEY_BYTES = 64 * 1024;
/** Windows has no POSIX modes to check (Node reports 0666 for every file). */
const CHECK_MODES = process.platform !== 'win32';
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Reads a key file, refusing one that group or others may access: a key others can read is a
 * key others may have copied. Mode and size are checked on the opened descriptor, so the file
 * read is the file checked.
 */
export async function readKeyFile(path: string, label: string): Promise<string> {
  const text = await readKeyFileIfPresent(path, label);
  if (text === undefined) {
    throw gatewayError(
      'keys.unreadable',
      `Key file ${path} (${label}) does not exist. Fix: create it (see docs/keys.md) or correct the path.`,
      { extensions: { file: path } },
    );
  }
  return text;
}

/** As readKeyFile, but a missing file is undefined rather than an error. */
export async function readKeyFileIfPresent(
  path: string,
  label: string,
): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw gatewayError(
      'keys.unreadable',
      `Key file ${path} (${label}) cannot be read (${errorCode(error) ?? 'error'}). Fix: let the gateway user read it.`,
      { cause: error, extensions: { file: path } },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw gatewayError('keys.unreadable', `Key file ${path} (${label}) is not a regular file.`, {
        extensions: { file: path },
      });
    }
    if (CHECK_MODES && (info.mode & 0o077) !== 0) {
      throw gatewayError(
        'keys.insecure_permissions',
        `Key file ${path} (${label}) is accessible by group or others (mode ${octal(info.mode)}). Fix: chmod 600 ${path}`,
        { extensions: { file: path } },
      );
    }
    if (info.size > MAX_KEY_BYTES) {
      throw gatewayError(
        'keys.unreadable',
        `Key file ${path} (${label}) is larger than ${MAX_KEY_BYTES} bytes; it is not a key set.`,
        { extensions: { file: path } },
      );
    }
    return await handle.readFile({ encoding: 'utf8' });
  } finally {
    await handle.close();
  }
}

/** Creates the keys directory (0700) or checks that an existing one is private. */
export async function ensureKeyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (!info.isDirectory()) {
    throw gatewayError('keys.unreadable', `Key directory ${dir} is not a directory.`);
  }
  if (CHECK_MODES && (info.mode & 0o077) !== 0) {
    throw gatewayError(
      'keys.insecure_permissions',
      `Key directory ${dir} is accessible by group or others (mode ${octal(info.mode)}). Fix: chmod 700 ${dir}`,
      { extensions: { file: dir } },
    );
  }
}

/**
 * Writes a key file atomically with mode 0600: the content goes to a temporary file in the same
 * directory, is flushed, then takes the final name, so a crash leaves the old file or the new
 * one, never half a key. With `create`, an existing file wins (another process generated it
 * first) and false is returned.
 */
export async function writeKeyFile(
  path: string,
  text: string,
  mode: 'create' | 'replace',
): Promise<boolean> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text, { encoding: 'utf8' });
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (mode === 'create') {
      // link() fails if the name exists, which rename() would silently replace.
      try {
        await link(temporary, path);
      } catch (error) {
        if (errorCode(error) === 'EEXIST') return false;
        // Filesystems without hard links: rename, accepting the (embedded-mode) race.
        if (!NO_LINKS.has(errorCode(error) ?? '')) throw error;
        await rename(temporary, path);
      }
    } else {
      await rename(temporary, path);
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncDirectory(dirname(path));
  return true;
}

/** Makes the new directory entry durable; not every platform can open a directory. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the data itself is already synced.
  }
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
    ? error.code
    : undefined;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
