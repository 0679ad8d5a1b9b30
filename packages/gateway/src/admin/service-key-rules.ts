import type { Config } from '../config/index.js';
import { suggestName } from '../config/problems.js';
import { DEMO_MODELS } from '../demo.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What a new service key asks for, before it is created (CLI flags or an admin API body). */
export interface ServiceKeyRequest {
  readonly name: string;
  readonly tenant: string | undefined;
  readonly roles: readonly string[];
  readonly aliases: readonly string[];
  /** `<n>d` or `<n>h`, e.g. `90d`. */
  readonly expiresIn: string;
}

/** How the caller names each field in messages: `--role` on the command line, `roles` in JSON. */
export type FieldNames = Readonly<Record<keyof ServiceKeyRequest, string>>;

export const CLI_FIELDS: FieldNames = {
  name: '--name',
  tenant: '--tenant',
  roles: '--role',
  aliases: '--alias',
  expiresIn: '--expires-in',
};

export const API_FIELDS: FieldNames = {
  name: 'name',
  tenant: 'tenant',
  roles: 'roles',
  aliases: 'aliases',
  expiresIn: 'expiresIn',
};

export type ServiceKeyCheck =
  | { readonly ok: true; readonly lifetimeMs: number }
  | { readonly ok: false; readonly problems: readonly string[] };

type KeyConfig = Pick<Config, 'authz' | 'auth' | 'models' | 'demo'>;

/**
 * The one set of rules for a new service key, shared by `rampart admin create-key` and
 * `POST /admin/v1/service-keys` so both refuse the same requests with the same fixes: a name of
 * 1–128 characters, a tenant of 1–256, at least one role and each of `authz.roles`, each alias
 * a configured model alias granted by one of the roles, a lifetime of `<n>d`/`<n>h` no longer
 * than `auth.serviceKeys.maxLifetimeDays`. Pure: no store, no clock.
 */
export function checkServiceKeyRequest(
  config: KeyConfig,
  request: ServiceKeyRequest,
  fields: FieldNames,
): ServiceKeyCheck {
  const problems: string[] = [];
  if (request.name.trim() === '' || request.name.length > 128) {
    problems.push(`${fields.name} must be 1 to 128 characters`);
  }
  if (request.tenant !== undefined && (request.tenant === '' || request.tenant.length > 256)) {
    problems.push(`${fields.tenant} must be 1 to 256 characters`);
  }
  const roles = Object.keys(config.authz.roles);
  const known = roles.join(', ') || '(none configured: add authz.roles first)';
  if (request.roles.length === 0) {
    problems.push(`${fields.roles} is required. Fix: name one of: ${known}`);
  }
  for (const role of request.roles) {
    if (!Object.hasOwn(config.authz.roles, role)) {
      problems.push(
        `${fields.roles} ${role.slice(0, 64)}: not a role of authz.roles${suggestName(role, roles)}. Fix: use one of: ${known}`,
      );
    }
  }
  const aliases = config.demo ? Object.values(DEMO_MODELS) : Object.keys(config.models);
  for (const alias of request.aliases) {
    if (!aliases.includes(alias)) {
      problems.push(
        `${fields.aliases} ${alias.slice(0, 64)}: not a configured model alias${suggestName(alias, aliases)}. Fix: use one of: ${aliases.join(', ')}`,
      );
    } else if (problems.length === 0 && !granted(config, request.roles, alias)) {
      problems.push(
        `${fields.aliases} ${alias}: none of the roles ${request.roles.join(', ')} grants it, so the key could never use it. Fix: grant it in authz.roles or choose another alias`,
      );
    }
  }
  const lifetime = parseLifetime(
    request.expiresIn,
    config.auth.serviceKeys.maxLifetimeDays,
    fields.expiresIn,
  );
  if (typeof lifetime === 'string') problems.push(lifetime);
  if (problems.length > 0 || typeof lifetime === 'string') return { ok: false, problems };
  return { ok: true, lifetimeMs: lifetime };
}

function granted(config: KeyConfig, roles: readonly string[], alias: string): boolean {
  return roles.some((role) =>
    (config.authz.roles[role] ?? []).some(
      (permission) => permission.aliases.includes('*') || permission.aliases.includes(alias),
    ),
  );
}

/** `90d` or `12h` in milliseconds, or the problem with it. */
function parseLifetime(text: string, maxDays: number, field: string): number | string {
  const match = /^(\d{1,5})([dh])$/.exec(text);
  const amount = Number(match?.[1] ?? 0);
  if (match === null || amount === 0) {
    return `${field} ${JSON.stringify(text.slice(0, 32))}: expected <n>d or <n>h, e.g. 90d`;
  }
  const ms = amount * (match[2] === 'd' ? DAY : HOUR);
  if (ms > maxDays * DAY) {
    return `${field} ${text}: longer than auth.serviceKeys.maxLifetimeDays (${maxDays}). Fix: choose a shorter lifetime`;
  }
  return ms;
}
