import type { Command } from 'commander';
import type { SetExitCode } from './index.js';
import type { RemoteFlags } from './remote/admin-api.js';
import { isRemote, withRemoteFlags } from './remote/flags.js';

interface CreateOptions {
  readonly name: string;
  readonly role: string[];
  readonly alias: string[];
  readonly tenant?: string;
  readonly expiresIn: string;
  readonly config?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const CONFIG = [
  '-c, --config <file>',
  'YAML configuration file (default: $RAMPART_CONFIG)',
] as const;

/**
 * `rampart admin create-key | list-keys | revoke-key`: service keys for server-to-server
 * callers (a team's own backend, a batch job, tests; never a mobile app), against the local
 * store the configuration names. The key is printed once, on the last line of `create-key`'s
 * output; only its SHA-256 is stored, so it cannot be shown again.
 */
export function registerServiceKeyVerbs(admin: Command, setCode: SetExitCode): void {
  withRemoteFlags(admin.command('create-key'))
    .description('create a service key (printed once, on the last line)')
    .requiredOption('--name <name>', 'what the key is for (shown by list-keys)')
    .option('--role <role>', 'a role of authz.roles (repeatable; at least one)', collect, [])
    .option(
      '--alias <alias>',
      'limit the key to this model alias (repeatable; default: all the roles allow)',
      collect,
      [],
    )
    .option('--tenant <tenant>', 'the tenant the key acts for')
    .option(
      '--expires-in <duration>',
      'lifetime: <n>d or <n>h, at most auth.serviceKeys.maxLifetimeDays',
      '90d',
    )
    .option(...CONFIG)
    .action(async (options: CreateOptions & RemoteFlags) => {
      if (isRemote(options)) {
        const { remoteCreateKey } = await import('./remote/verbs.js');
        return setCode(await remoteCreateKey(options));
      }
      const { createKey } = await import('./service-keys-run.js');
      setCode(await createKey(options));
    });

  withRemoteFlags(admin.command('list-keys'))
    .description('list service keys (never their secrets)')
    .option('--tenant <tenant>', 'only the keys of this tenant')
    .option('--json', 'one JSON document instead of text')
    .option(...CONFIG)
    .action(async (options: { tenant?: string; json?: boolean; config?: string } & RemoteFlags) => {
      if (isRemote(options)) {
        const { remoteListKeys } = await import('./remote/verbs.js');
        return setCode(await remoteListKeys(options));
      }
      const { listKeys } = await import('./service-keys-run.js');
      setCode(await listKeys(options));
    });

  withRemoteFlags(admin.command('revoke-key'))
    .description('revoke a service key by its id (the gateway refuses it from the next request)')
    .argument('<id>', 'the key id (the 16 characters after rk_)')
    .option(...CONFIG)
    .action(async (id: string, options: { config?: string } & RemoteFlags) => {
      if (isRemote(options)) {
        const { remoteRevokeKey } = await import('./remote/verbs.js');
        return setCode(await remoteRevokeKey(id, options));
      }
      const { revokeKey } = await import('./service-keys-run.js');
      setCode(await revokeKey(id, options));
    });
}

export type { CreateOptions };
