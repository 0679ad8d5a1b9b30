import type { webcrypto } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `rampart admin login` keeps for one gateway. Times are epoch milliseconds. */
export interface StoredLogin {
  readonly issuer: string;
  readonly clientId: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshToken: string | undefined;
  /** The DPoP private key (ES256, JWK with `d`): the tokens are bound to it. */
  readonly dpopKey: webcrypto.JsonWebKey;
}

interface CredentialsDocument {
  readonly version: 1;
  readonly gateways: Record<string, StoredLogin>;
}

/** A credentials file beyond this is not ours: refused rather than parsed. */
const MAX_FILE_BYTES = 256 * 1024;

/**
 * The default credentials file: `$XDG_CONFIG_HOME/rampart/credentials.json`, or
 * `~/.config/rampart/credentials.json` when XDG_CONFIG_HOME is unset or not absolute.
 */
export function defaultCredentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && xdg.startsWith('/') ? xdg : join(homedir(), '.config');
  return join(base, 'rampart', 'credentials.json');
}

/** Raised for a credentials file that cannot be read, parsed or written: a usage/IO error. */
export class CredentialsError extends Error {}

/**
 * The credentials file: one entry per gateway URL, written with mode 0600 (its directory 0700),
 * replaced atomically (a temporary file in the same directory, then rename), so that a crash or
 * a concurrent run never leaves half a file — refresh tokens rotate, and losing the new one
 * would end the login.
 */
export class CredentialsFile {
  constructor(readonly path: string) {}

  async get(url: string): Promise<StoredLogin | undefined> {
    return (await this.#read()).gateways[url];
  }

  async put(url: string, login: StoredLogin): Promise<void> {
    const document = await this.#read();
    await this.#write({ version: 1, gateways: { ...document.gateways, [url]: login } });
  }

  /** Removes the entry; false when there was none. */
  async delete(url: string): Promise<boolean> {
    const document = await this.#read();
    if (!Object.hasOwn(document.gateways, url)) return false;
    const gateways = { ...document.gateways };
    delete gateways[url];
    await this.#write({ version: 1, gateways });
    return true;
  }

  async #read(): Promise<CredentialsDocument> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, gateways: {} };
      throw new CredentialsError(
        `${this.path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw new CredentialsError(`${this.path}: larger than ${MAX_FILE_BYTES} bytes`);
    }
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as Partial<CredentialsDocument>;
      if (parsed.version !== 1 || typeof parsed.gateways !== 'object' || parsed.gateways === null) {
        throw new Error('shape');
      }
      const gateways: Record<string, StoredLogin> = {};
      for (const [url, entry] of Object.entries(parsed.gateways)) {
        if (isStoredLogin(entry)) gateways[url] = entry;
      }
      return { version: 1, gateways };
    } catch {
      throw new CredentialsError(
        `${this.path}: not a rampart credentials file (delete it and log in again)`,
      );
    }
  }

  async #write(document: CredentialsDocument): Promise<void> {
    const directory = dirname(this.path);
    const temporary = join(directory, `.credentials-${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(document, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(temporary, 0o600);
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new CredentialsError(
        `${this.path}: cannot write (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
}

function isStoredLogin(value: unknown): value is StoredLogin {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry['issuer'] === 'string' &&
    typeof entry['clientId'] === 'string' &&
    typeof entry['accessToken'] === 'string' &&
    typeof entry['accessTokenExpiresAt'] === 'number' &&
    (entry['refreshToken'] === undefined || typeof entry['refreshToken'] === 'string') &&
    typeof entry['dpopKey'] === 'object' &&
    entry['dpopKey'] !== null
  );
}
