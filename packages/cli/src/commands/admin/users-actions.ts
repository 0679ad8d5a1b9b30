import { readFile } from 'node:fs/promises';
import { isRampartError } from '@rampart/core';
import {
  createAccountAdmin,
  localSessionService,
  mustEnrollTotpFor,
  openRedis,
  SessionRepository,
  setAccountDisabled,
  type AccountSummary,
  type Config,
  type Store,
} from '@rampart/gateway';
import { EXIT } from '../../exit-codes.js';
import { openLocalStore } from './local.js';
import { readHiddenLine, type TerminalInput } from './prompt.js';
import type { CreateUserOptions } from './users.js';

/** Streams the verbs use; tests pass their own. */
export interface UserVerbIo {
  readonly stdin: TerminalInput;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const processIo = (): UserVerbIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});

const MAX_PASSWORD_FILE_BYTES = 4096;

export async function createUser(
  options: CreateUserOptions,
  io: UserVerbIo = processIo(),
): Promise<number> {
  const password = await readPassword(options.passwordFile, io);
  if (password === undefined) return EXIT.usage;
  return withAdmin(options.config, io, async (admin, { config }) => {
    const account = await admin.createAccount({
      username: options.username,
      password,
      roles: options.role,
      tenant: options.tenant,
      mustEnrollTotp: mustEnrollTotpFor(config, options.role),
    });
    io.stdout.write(
      `created ${account.username} (${account.id})` +
        (account.roles.length > 0 ? ` roles ${account.roles.join(',')}` : '') +
        (account.tenant === undefined ? '' : ` tenant ${account.tenant}`) +
        (account.mustEnrollTotp ? '; TOTP enrolment is required at first login' : '') +
        '\n',
    );
    return EXIT.ok;
  });
}

export async function listUsers(
  options: { json?: boolean; config?: string },
  io: UserVerbIo = processIo(),
): Promise<number> {
  return withAdmin(options.config, io, async (admin) => {
    const accounts = await admin.listAccounts();
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify(accounts, null, 2)}\n`);
    } else {
      io.stdout.write(table(accounts));
    }
    return EXIT.ok;
  });
}

export async function disableUser(
  options: { username: string; enable?: boolean; config?: string },
  io: UserVerbIo = processIo(),
): Promise<number> {
  return withAdmin(options.config, io, async (admin, { config, store }) => {
    const disabled = options.enable !== true;
    // Disabling also revokes the account's tokens and grants, as PATCH /admin/v1/accounts does;
    // with redis.url the revocation reaches running gateways at once.
    const redisUrl = config.redis.url;
    const redis =
      redisUrl === undefined ? undefined : await openRedis({ ...config.redis, url: redisUrl });
    try {
      const sessions = await localSessionService(new SessionRepository(store.db), redis);
      const outcome = await setAccountDisabled(
        { db: store.db, accounts: admin, sessions, issuer: config.server.publicUrl },
        options.username,
        disabled,
      );
      if (!outcome.found) {
        io.stderr.write(`rampart: no account named ${JSON.stringify(options.username)}\n`);
        return EXIT.findings;
      }
      io.stdout.write(
        `${disabled ? 'disabled' : 'enabled'} ${options.username}` +
          (disabled ? '; its tokens and refresh tokens are revoked' : '') +
          '\n',
      );
      return EXIT.ok;
    } finally {
      await redis?.close();
    }
  });
}

async function withAdmin(
  configFile: string | undefined,
  io: UserVerbIo,
  run: (
    admin: ReturnType<typeof createAccountAdmin>,
    local: { readonly config: Config; readonly store: Store },
  ) => Promise<number>,
): Promise<number> {
  const { config, store } = await openLocalStore(configFile);
  try {
    return await run(createAccountAdmin({ db: store.db, config: config.accounts }), {
      config,
      store,
    });
  } catch (error) {
    // account.* refusals are the operator's to fix: print them, exit 2 (usage).
    if (isRampartError(error) && error.code.startsWith('account.')) {
      io.stderr.write(`rampart: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  } finally {
    await store.close();
  }
}

/**
 * The new password: the first line of `--password-file`, or typed twice on a terminal without
 * echo. Refused (undefined, after saying why) when stdin is not a terminal and no file is
 * given: a password piped through stdin ends up in shell history and process listings.
 */
export async function readPassword(
  file: string | undefined,
  io: UserVerbIo,
): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      const bytes = await readFile(file);
      if (bytes.length > MAX_PASSWORD_FILE_BYTES) {
        io.stderr.write(`rampart: ${file}: larger than ${MAX_PASSWORD_FILE_BYTES} bytes\n`);
        return undefined;
      }
      text = bytes.toString('utf8');
    } catch (error) {
      io.stderr.write(
        `rampart: ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}\n`,
      );
      return undefined;
    }
    return text.split(/\r?\n/, 1)[0] ?? '';
  }
  if (io.stdin.isTTY !== true) {
    io.stderr.write(
      'rampart: stdin is not a terminal; pass --password-file FILE to give the password non-interactively\n',
    );
    return undefined;
  }
  const first = await readHiddenLine(io.stdin, io.stderr, 'Password: ');
  const second = await readHiddenLine(io.stdin, io.stderr, 'Repeat password: ');
  if (first === undefined || second === undefined) {
    io.stderr.write('rampart: cancelled\n');
    return undefined;
  }
  if (first !== second) {
    io.stderr.write('rampart: the passwords differ\n');
    return undefined;
  }
  return first;
}

export function table(accounts: readonly AccountSummary[]): string {
  if (accounts.length === 0) return 'no accounts\n';
  const rows = accounts.map((a) => [
    a.username,
    a.id,
    a.tenant ?? '-',
    a.roles.join(',') || '-',
    a.totpEnrolled ? 'totp' : a.mustEnrollTotp ? 'totp-required' : '-',
    String(a.passkeys),
    a.disabled ? 'disabled' : 'active',
  ]);
  const header = ['USERNAME', 'ID', 'TENANT', 'ROLES', 'MFA', 'PASSKEYS', 'STATE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}
