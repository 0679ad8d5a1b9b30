import type { Command } from 'commander';
import { EXIT } from '../../exit-codes.js';
import type { SetExitCode } from './index.js';

/**
 * `rampart admin login | logout --url U`: sign in to a remote gateway's embedded provider for
 * the admin verbs' `--url` mode (remote/login.ts), and end that login.
 */
export function registerLoginVerbs(admin: Command, setCode: SetExitCode): void {
  admin
    .command('login')
    .description("sign in to a gateway's embedded provider in your browser, for the --url verbs")
    .requiredOption('--url <url>', "the gateway's base URL (its server.publicUrl)")
    .option(
      '--client-id <id>',
      'the identity.clients entry registered for the CLI, with redirect http://127.0.0.1/callback',
      'rampart-cli',
    )
    .option(
      '--credentials <file>',
      'credentials file (default: $XDG_CONFIG_HOME/rampart/credentials.json)',
    )
    .option('--open', 'open the sign-in URL in the default browser (otherwise it is only printed)')
    .option('--timeout <seconds>', 'how long to wait for the browser', '300')
    .action(
      async (options: {
        url: string;
        clientId: string;
        credentials?: string;
        open?: boolean;
        timeout: string;
      }) => {
        const { login } = await import('./remote/login.js');
        setCode(await usage(() => login(options)));
      },
    );

  admin
    .command('logout')
    .description('revoke the stored login of a gateway (RFC 7009) and delete it')
    .requiredOption('--url <url>', "the gateway's base URL")
    .option(
      '--credentials <file>',
      'credentials file (default: $XDG_CONFIG_HOME/rampart/credentials.json)',
    )
    .option('--forget', 'delete the stored login even when the gateway cannot revoke it')
    .action(async (options: { url: string; credentials?: string; forget?: boolean }) => {
      const { logout } = await import('./remote/login.js');
      setCode(await usage(() => logout(options)));
    });
}

/** Usage and I/O errors of the login verbs: printed, exit 2. */
async function usage(run: () => Promise<number>): Promise<number> {
  const { operatorFailure } = await import('./remote/gateway-url.js');
  const { CredentialsError } = await import('./remote/credentials.js');
  try {
    return await run();
  } catch (error) {
    const message = error instanceof CredentialsError ? error.message : operatorFailure(error);
    if (message === undefined) throw error;
    process.stderr.write(`rampart: ${message}\n`);
    return EXIT.usage;
  }
}
