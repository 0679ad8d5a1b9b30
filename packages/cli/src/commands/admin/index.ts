import type { Command } from 'commander';
import { registerUserVerbs } from './users.js';
import { registerSessionVerbs } from './sessions.js';
import { registerServiceKeyVerbs } from './service-keys.js';
import { registerLoginVerbs } from './login-verbs.js';

/** Sets the exit code of the verb that ran (main.ts returns it). */
export type SetExitCode = (code: number) => void;

/**
 * `rampart admin …`: operator verbs over the gateway's store (users, service keys, devices,
 * sessions). Each family of verbs lives in its own file beside this one and registers itself
 * here with one line; verbs load their modules on demand so that `rampart --help` stays quick.
 * Local verbs open the store the configuration names (`openLocalStore` in local.ts); with
 * `--url` the same verbs call that gateway's admin API instead (remote/, after `rampart admin
 * login` or with `--token-env` / `--token-file`).
 */
export function registerAdmin(program: Command, setCode: SetExitCode): void {
  const admin = program
    .command('admin')
    .description('operator verbs: users, service keys, devices and sessions');
  // One line per family of verbs, e.g. `registerServiceKeyVerbs(admin, setCode);`.
  registerUserVerbs(admin, setCode);
  registerSessionVerbs(admin, setCode);
  // One line per family of verbs.
  registerServiceKeyVerbs(admin, setCode);
  registerLoginVerbs(admin, setCode);
}
