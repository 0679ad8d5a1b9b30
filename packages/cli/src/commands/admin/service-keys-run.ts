import { userInfo } from 'node:os';
import {
  DEMO_MODELS,
  ServiceKeyRepository,
  suggestName,
  type Config,
  type ServiceKey,
} from '@rampart/gateway';
import { EXIT } from '../../exit-codes.js';
import { openLocalStore } from './local.js';
import type { CreateOptions } from './service-keys.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** `create-key`: checks the roles, aliases and lifetime against the configuration, then creates. */
export async function createKey(options: CreateOptions): Promise<number> {
  const { config, store } = await openLocalStore(options.config);
  try {
    const problems = checkCreate(config, options);
    const lifetime = parseLifetime(options.expiresIn, config.auth.serviceKeys.maxLifetimeDays);
    if (typeof lifetime === 'string') problems.push(lifetime);
    if (problems.length > 0 || typeof lifetime === 'string') {
      for (const problem of problems) process.stderr.write(`rampart: ${problem}\n`);
      return EXIT.usage;
    }
    if (!config.auth.serviceKeys.enabled) {
      process.stderr.write(
        'warning: auth.serviceKeys.enabled is false in this configuration: the gateway refuses service keys until it is set\n',
      );
    }
    const now = Date.now();
    const { key, serviceKey } = await new ServiceKeyRepository(store.db).create({
      name: options.name,
      tenant: options.tenant,
      roles: unique(options.role),
      aliases: options.alias.length === 0 ? undefined : unique(options.alias),
      createdAt: now,
      expiresAt: now + lifetime,
      createdBy: `cli:${operator()}`,
    });
    process.stdout.write(
      `created service key ${serviceKey.id} (${describe(serviceKey)})\n` +
        "Store it now, in your server's secret store: it is shown once and cannot be recovered.\n" +
        `${key}\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `list-keys`: every key (of a tenant), never a secret or a hash. */
export async function listKeys(options: {
  tenant?: string;
  json?: boolean;
  config?: string;
}): Promise<number> {
  const { store } = await openLocalStore(options.config);
  try {
    const keys = await new ServiceKeyRepository(store.db).list({ tenant: options.tenant });
    const now = Date.now();
    if (options.json === true) {
      const listed = keys.map((key) => ({ ...key, status: status(key, now) }));
      process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    } else if (keys.length === 0) {
      process.stdout.write('no service keys\n');
    } else {
      for (const key of keys) {
        process.stdout.write(`${key.id}  ${status(key, now).padEnd(7)}  ${describe(key)}\n`);
      }
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `revoke-key ID`: 0 once revoked (also when it already was), 2 for an unknown id. */
export async function revokeKey(id: string, options: { config?: string }): Promise<number> {
  const { store } = await openLocalStore(options.config);
  try {
    const result = await new ServiceKeyRepository(store.db).revoke(id, Date.now());
    if (result === 'unknown') {
      process.stderr.write(
        `rampart: no service key has the id ${JSON.stringify(id.slice(0, 32))} (list-keys lists them)\n`,
      );
      return EXIT.usage;
    }
    process.stdout.write(
      result === 'revoked'
        ? `revoked service key ${id}\n`
        : `service key ${id} was already revoked\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

function checkCreate(config: Config, options: CreateOptions): string[] {
  const problems: string[] = [];
  if (options.name.trim() === '' || options.name.length > 128) {
    problems.push('--name must be 1 to 128 characters');
  }
  if (options.tenant !== undefined && (options.tenant === '' || options.tenant.length > 256)) {
    problems.push('--tenant must be 1 to 256 characters');
  }
  const roles = Object.keys(config.authz.roles);
  if (options.role.length === 0) {
    problems.push(
      `--role is required. Fix: name one of: ${roles.join(', ') || '(none configured: add authz.roles first)'}`,
    );
  }
  for (const role of options.role) {
    if (!Object.hasOwn(config.authz.roles, role)) {
      problems.push(
        `--role ${role}: not a role of authz.roles${suggestName(role, roles)}. Fix: use one of: ${roles.join(', ') || '(none configured: add authz.roles first)'}`,
      );
    }
  }
  const aliases = config.demo ? Object.values(DEMO_MODELS) : Object.keys(config.models);
  for (const alias of options.alias) {
    if (!aliases.includes(alias)) {
      problems.push(
        `--alias ${alias}: not a configured model alias${suggestName(alias, aliases)}. Fix: use one of: ${aliases.join(', ')}`,
      );
    } else if (problems.length === 0 && !granted(config, options.role, alias)) {
      problems.push(
        `--alias ${alias}: none of the roles ${options.role.join(', ')} grants it, so the key could never use it. Fix: grant it in authz.roles or choose another alias`,
      );
    }
  }
  return problems;
}

function granted(config: Config, roles: readonly string[], alias: string): boolean {
  return roles.some((role) =>
    (config.authz.roles[role] ?? []).some(
      (permission) => permission.aliases.includes('*') || permission.aliases.includes(alias),
    ),
  );
}

/** `90d` or `12h` in milliseconds, or the problem with it. */
function parseLifetime(text: string, maxDays: number): number | string {
  const match = /^(\d{1,5})([dh])$/.exec(text);
  const amount = Number(match?.[1] ?? 0);
  if (match === null || amount === 0) {
    return `--expires-in ${JSON.stringify(text.slice(0, 32))}: expected <n>d or <n>h, e.g. 90d`;
  }
  const ms = amount * (match[2] === 'd' ? DAY : HOUR);
  if (ms > maxDays * DAY) {
    return `--expires-in ${text}: longer than auth.serviceKeys.maxLifetimeDays (${maxDays}). Fix: choose a shorter lifetime`;
  }
  return ms;
}

function status(key: ServiceKey, now: number): 'revoked' | 'expired' | 'active' {
  if (key.revokedAt !== undefined) return 'revoked';
  return key.expiresAt <= now ? 'expired' : 'active';
}

function describe(key: ServiceKey): string {
  const parts = [
    JSON.stringify(key.name),
    `tenant ${key.tenant ?? '(none)'}`,
    `roles ${key.roles.join(', ')}`,
    `aliases ${key.aliases?.join(', ') ?? '(all the roles allow)'}`,
    `expires ${new Date(key.expiresAt).toISOString()}`,
    `last used ${key.lastUsedAt === undefined ? 'never' : new Date(key.lastUsedAt).toISOString()}`,
  ];
  return parts.join('; ');
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The operating-system user running the verb, for `created_by`. */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
