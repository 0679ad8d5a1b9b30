import type { Command } from 'commander';

/**
 * Adds the remote-mode flags to an admin verb: with `--url`, the verb calls that gateway's admin
 * API instead of opening the local store (`remote/verbs.ts`).
 */
export function withRemoteFlags(command: Command): Command {
  return command
    .option('--url <url>', "a gateway's base URL: use its admin API instead of the local store")
    .option(
      '--token-env <var>',
      'with --url: a bearer access token from this environment variable (instead of the login)',
    )
    .option('--token-file <file>', 'with --url: a bearer access token from this file (first line)')
    .option(
      '--credentials <file>',
      'with --url: the credentials file of rampart admin login (default: $XDG_CONFIG_HOME/rampart/credentials.json)',
    );
}

/** Whether the verb runs against a remote gateway. */
export function isRemote(options: { url?: string }): options is { url: string } {
  return options.url !== undefined;
}
