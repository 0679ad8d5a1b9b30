import type { AccountSummary, ServiceKey } from '@rampart/gateway';
import { EXIT } from '../../../exit-codes.js';
import { describe as describeKey, status as keyStatus } from '../service-keys-run.js';
import type { CreateOptions } from '../service-keys.js';
import { readPassword, table, type UserVerbIo } from '../users-actions.js';
import type { CreateUserOptions } from '../users.js';
import { AdminApi, reportProblem, type ApiResult, type RemoteFlags } from './admin-api.js';
import { CredentialsError } from './credentials.js';
import { operatorFailure } from './gateway-url.js';

const processIo = (): UserVerbIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});

/**
 * Runs a remote verb: opens the admin API client for `--url` and maps what the operator must
 * fix (a bad flag, an unreadable file, no login, an unreachable gateway) to exit 2.
 */
async function remote(
  flags: RemoteFlags,
  io: UserVerbIo,
  run: (api: AdminApi) => Promise<number>,
): Promise<number> {
  try {
    return await run(await AdminApi.open(flags));
  } catch (error) {
    const message = error instanceof CredentialsError ? error.message : operatorFailure(error);
    if (message === undefined) throw error;
    io.stderr.write(`rampart: ${message}\n`);
    return EXIT.usage;
  }
}

/** A flag that means nothing against a remote gateway: refused rather than silently ignored. */
function refuseLocalFlags(
  io: UserVerbIo,
  flags: { config?: string | undefined; tenant?: string | undefined },
  tenantAllowed: boolean,
): boolean {
  if (flags.config !== undefined) {
    io.stderr.write('rampart: --config is for the local store; drop it with --url\n');
    return true;
  }
  if (!tenantAllowed && flags.tenant !== undefined && flags.tenant !== '') {
    io.stderr.write(
      "rampart: with --url the verb acts in your own tenant (your token's); drop --tenant\n",
    );
    return true;
  }
  return false;
}

/** The body, or undefined after reporting the problem (`code` receives the exit code). */
function unwrap<T>(result: ApiResult, io: UserVerbIo, code: { value: number }): T | undefined {
  if (result.ok) return result.body as T;
  code.value = reportProblem(result.problem, io.stderr);
  return undefined;
}

interface AccountWire extends Omit<AccountSummary, 'tenant' | 'createdAt'> {
  readonly tenant: string | null;
  readonly createdAt: string;
}

const fromWire = (account: AccountWire): AccountSummary => ({
  ...account,
  tenant: account.tenant ?? undefined,
  createdAt: Date.parse(account.createdAt),
});

export async function remoteCreateUser(
  options: CreateUserOptions & RemoteFlags,
  io: UserVerbIo = processIo(),
): Promise<number> {
  if (refuseLocalFlags(io, options, true)) return EXIT.usage;
  return remote(options, io, async (api) => {
    const password = await readPassword(options.passwordFile, io);
    if (password === undefined) return EXIT.usage;
    const code = { value: EXIT.ok };
    const account = unwrap<AccountWire>(
      await api.request('POST', '/accounts', {
        username: options.username,
        password,
        roles: options.role,
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      }),
      io,
      code,
    );
    if (account === undefined) return code.value;
    io.stdout.write(
      `created ${account.username} (${account.id})` +
        (account.roles.length > 0 ? ` roles ${account.roles.join(',')}` : '') +
        (account.tenant === null ? '' : ` tenant ${account.tenant}`) +
        (account.mustEnrollTotp ? '; TOTP enrolment is required at first login' : '') +
        '\n',
    );
    return EXIT.ok;
  });
}

export async function remoteListUsers(
  options: { json?: boolean; config?: string } & RemoteFlags,
  io: UserVerbIo = processIo(),
): Promise<number> {
  if (refuseLocalFlags(io, options, false)) return EXIT.usage;
  return remote(options, io, async (api) => {
    const code = { value: EXIT.ok };
    const body = unwrap<{ accounts: AccountWire[] }>(
      await api.request('GET', '/accounts'),
      io,
      code,
    );
    if (body === undefined) return code.value;
    const accounts = body.accounts.map(fromWire);
    io.stdout.write(
      options.json === true ? `${JSON.stringify(accounts, null, 2)}\n` : table(accounts),
    );
    return EXIT.ok;
  });
}

export async function remoteDisableUser(
  options: { username: string; enable?: boolean; config?: string } & RemoteFlags,
  io: UserVerbIo = processIo(),
): Promise<number> {
  if (refuseLocalFlags(io, options, false)) return EXIT.usage;
  return remote(options, io, async (api) => {
    const disabled = options.enable !== true;
    const code = { value: EXIT.ok };
    const body = unwrap<{ tokensRevoked: boolean }>(
      await api.request('PATCH', `/accounts/${encodeURIComponent(options.username)}`, { disabled }),
      io,
      code,
    );
    if (body === undefined) return code.value;
    io.stdout.write(
      `${disabled ? 'disabled' : 'enabled'} ${options.username}` +
        (disabled ? '; its tokens and refresh tokens are revoked' : '') +
        '\n',
    );
    return EXIT.ok;
  });
}

interface KeyWire {
  readonly id: string;
  readonly name: string;
  readonly tenant: string | null;
  readonly roles: string[];
  readonly aliases: string[] | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly createdBy: string;
  readonly status: string;
}

const keyFromWire = (key: KeyWire): ServiceKey => ({
  id: key.id,
  name: key.name,
  tenant: key.tenant ?? undefined,
  roles: key.roles,
  aliases: key.aliases ?? undefined,
  createdAt: Date.parse(key.createdAt),
  expiresAt: Date.parse(key.expiresAt),
  revokedAt: key.revokedAt === null ? undefined : Date.parse(key.revokedAt),
  lastUsedAt: key.lastUsedAt === null ? undefined : Date.parse(key.lastUsedAt),
  createdBy: key.createdBy,
});

export async function remoteCreateKey(
  options: CreateOptions & RemoteFlags,
  io: UserVerbIo = processIo(),
): Promise<number> {
  if (refuseLocalFlags(io, options, true)) return EXIT.usage;
  return remote(options, io, async (api) => {
    const code = { value: EXIT.ok };
    const body = unwrap<{ key: string; serviceKey: KeyWire }>(
      await api.request('POST', '/service-keys', {
        name: options.name,
        roles: options.role,
        aliases: options.alias,
        expiresIn: options.expiresIn,
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      }),
      io,
      code,
    );
    if (body === undefined) return code.value;
    const serviceKey = keyFromWire(body.serviceKey);
    io.stdout.write(
      `created service key ${serviceKey.id} (${describeKey(serviceKey)})\n` +
        "Store it now, in your server's secret store: it is shown once and cannot be recovered.\n" +
        `${body.key}\n`,
    );
    return EXIT.ok;
  });
}

export async function remoteListKeys(
  options: { tenant?: string; json?: boolean; config?: string } & RemoteFlags,
  io: UserVerbIo = processIo(),
): Promise<number> {
  if (refuseLocalFlags(io, options, false)) return EXIT.usage;
  return remote(options, io, async (api) => {
    const code = { value: EXIT.ok };
    const body = unwrap<{ serviceKeys: KeyWire[] }>(
      await api.request('GET', '/service-keys'),
      io,
      code,
    );
    if (body === undefined) return code.value;
    const keys = body.serviceKeys.map(keyFromWire);
    const now = Date.now();
    if (options.json === true) {
      const listed = keys.map((key) => ({ ...key, status: keyStatus(key, now) }));
      io.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    } else if (keys.length === 0) {
      io.stdout.write('no service keys\n');
    } else {
      for (const key of keys) {
        io.stdout.write(`${key.id}  ${keyStatus(key, now).padEnd(7)}  ${describeKey(key)}\n`);
      }
    }
    return EXIT.ok;
  });
}

/** `revoke-key ID --url U`: like the local verb, an unknown id (or another tenant's) exits 2. */
export async function remoteRevokeKey(
  id: string,
  options: { config?: string } & RemoteFlags,
  io: UserVerbIo = processIo(),
): Promise<number> {
  if (refuseLocalFlags(io, options, false)) return EXIT.usage;
  return remote(options, io, async (api) => {
    const result = await api.request('DELETE', `/service-keys/${encodeURIComponent(id)}`);
    if (!result.ok) {
      const exit = reportProblem(result.problem, io.stderr);
      return result.problem.code === 'admin.not_found' ? EXIT.usage : exit;
    }
    const body = result.body as { alreadyRevoked: boolean };
    io.stdout.write(
      body.alreadyRevoked
        ? `service key ${id} was already revoked\n`
        : `revoked service key ${id}\n`,
    );
    return EXIT.ok;
  });
}

export interface RemoteSubjectOptions extends RemoteFlags {
  readonly subject: string;
  readonly tenant: string;
  readonly issuer?: string;
  readonly config?: string;
  readonly format: 'text' | 'json';
}

type SessionVerb =
  'list-devices' | 'list-sessions' | 'revoke-device' | 'revoke-session' | 'revoke-subject';

/**
 * The devices and sessions verbs against `/admin/v1/users/{subject}/…`. The same output as the
 * local verbs; a subject, device or session not known in the admin's tenant exits 1.
 */
export async function remoteSessionVerb(
  verb: SessionVerb,
  options: RemoteSubjectOptions & { jkt?: string; session?: string },
  io: UserVerbIo = processIo(),
): Promise<number> {
  if (refuseLocalFlags(io, options, false)) return EXIT.usage;
  if (options.format !== 'text' && options.format !== 'json') {
    io.stderr.write('rampart: --format must be text or json\n');
    return EXIT.usage;
  }
  return remote(options, io, async (api) => {
    const user = `/users/${encodeURIComponent(options.subject)}`;
    const query =
      options.issuer === undefined
        ? ''
        : `?${new URLSearchParams({ issuer: options.issuer }).toString()}`;
    const [method, path] = {
      'list-devices': ['GET', `${user}/devices`],
      'list-sessions': ['GET', `${user}/sessions`],
      'revoke-device': ['DELETE', `${user}/devices/${encodeURIComponent(options.jkt ?? '')}`],
      'revoke-session': ['DELETE', `${user}/sessions/${encodeURIComponent(options.session ?? '')}`],
      'revoke-subject': ['DELETE', `${user}/sessions`],
    }[verb] as ['GET' | 'DELETE', string];
    const code = { value: EXIT.ok };
    const body = unwrap<Record<string, unknown>>(await api.request(method, path + query), io, code);
    if (body === undefined) return code.value;
    const out = (line: string) => io.stdout.write(`${line}\n`);
    if (verb === 'list-devices' || verb === 'list-sessions') {
      const key = verb === 'list-devices' ? 'devices' : 'sessions';
      const rows = (body[key] ?? []) as Array<Record<string, unknown>>;
      if (options.format === 'json') {
        out(JSON.stringify({ [key]: rows }, null, 2));
      } else if (rows.length === 0) {
        out(`no ${key}`);
      } else {
        for (const row of rows) out(line(verb, row));
      }
      return EXIT.ok;
    }
    const count = typeof body['count'] === 'number' ? body['count'] : 1;
    const kind = typeof body['revoked'] === 'string' ? body['revoked'] : verb.slice(7);
    out(`revoked ${kind}${count > 1 ? ` under ${count} issuers` : ''}`);
    return EXIT.ok;
  });
}

function line(verb: 'list-devices' | 'list-sessions', row: Record<string, unknown>): string {
  const text = (name: string) => {
    const value = row[name];
    return typeof value === 'string' ? value : '-';
  };
  const revoked = row['revoked'] === true ? '  revoked' : '';
  if (verb === 'list-devices') {
    return `${text('jkt')}  ${text('issuer')}  first ${text('firstSeenAt')}  last ${text('lastSeenAt')}${revoked}`;
  }
  return `${text('sessionId')}  ${text('issuer')}  device ${text('deviceJkt')}  last ${text('lastSeenAt')}${revoked}`;
}
