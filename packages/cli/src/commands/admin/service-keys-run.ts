import { userInfo } from 'node:os';
import {
  checkServiceKeyRequest,
  CLI_FIELDS,
  ServiceKeyRepository,
  type ServiceKey,
} from '@rampart/gateway';
import { EXIT } from '../../exit-codes.js';
import { openLocalStore } from './local.js';
import type { CreateOptions } from './service-keys.js';

/** `create-key`: checks the roles, aliases and lifetime against the configuration, then creates. */
export async function createKey(options: CreateOptions): Promise<number> {
  const { config, store } = await openLocalStore(options.config);
  try {
    // The same rules as POST /admin/v1/service-keys (gateway admin/service-key-rules.ts).
    const check = checkServiceKeyRequest(
      config,
      {
        name: options.name,
        tenant: options.tenant,
        roles: options.role,
        aliases: options.alias,
        expiresIn: options.expiresIn,
      },
      CLI_FIELDS,
    );
    if (!check.ok) {
      for (const problem of check.problems) process.stderr.write(`rampart: ${problem}\n`);
      return EXIT.usage;
    }
    const lifetime = check.lifetimeMs;
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

export function status(key: ServiceKey, now: number): 'revoked' | 'expired' | 'active' {
  if (key.revokedAt !== undefined) return 'revoked';
  return key.expiresAt <= now ? 'expired' : 'active';
}

export function describe(key: ServiceKey): string {
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
