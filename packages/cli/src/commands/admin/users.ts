import type { Command } from 'commander';
import type { SetExitCode } from './index.js';
import type { RemoteFlags } from './remote/admin-api.js';
import { isRemote, withRemoteFlags } from './remote/flags.js';

/**
 * `rampart admin create-user | list-users | disable-user`: local accounts of the embedded
 * provider, against the store the configuration names (actions in users-actions.ts, loaded on
 * demand).
 */
export function registerUserVerbs(admin: Command, setCode: SetExitCode): void {
  withRemoteFlags(admin.command('create-user'))
    .description('create a local account (an admin must enrol TOTP at first login)')
    .requiredOption('--username <name>', 'login name (compared case-insensitively)')
    .option('--role <role>', 'a role; repeat for several', collect, [])
    .option('--tenant <tenant>', 'tenant of the account (default: the default tenant)')
    .option(
      '--password-file <file>',
      'read the password from this file (first line); otherwise it is prompted twice on a terminal',
    )
    .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
    .action(async (options: CreateUserOptions & RemoteFlags) => {
      if (isRemote(options)) {
        const { remoteCreateUser } = await import('./remote/verbs.js');
        return setCode(await remoteCreateUser(options));
      }
      const { createUser } = await import('./users-actions.js');
      setCode(await createUser(options));
    });

  withRemoteFlags(admin.command('list-users'))
    .description('list local accounts (never a password or secret)')
    .option('--json', 'one JSON array instead of a table')
    .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
    .action(async (options: { json?: boolean; config?: string } & RemoteFlags) => {
      if (isRemote(options)) {
        const { remoteListUsers } = await import('./remote/verbs.js');
        return setCode(await remoteListUsers(options));
      }
      const { listUsers } = await import('./users-actions.js');
      setCode(await listUsers(options));
    });

  withRemoteFlags(admin.command('disable-user'))
    .description('disable a local account: its logins fail from now on')
    .requiredOption('--username <name>', 'login name')
    .option('--enable', 'enable the account again instead')
    .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
    .action(
      async (options: { username: string; enable?: boolean; config?: string } & RemoteFlags) => {
        if (isRemote(options)) {
          const { remoteDisableUser } = await import('./remote/verbs.js');
          return setCode(await remoteDisableUser(options));
        }
        const { disableUser } = await import('./users-actions.js');
        setCode(await disableUser(options));
      },
    );
}

export interface CreateUserOptions {
  readonly username: string;
  readonly role: string[];
  readonly tenant?: string;
  readonly passwordFile?: string;
  readonly config?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
