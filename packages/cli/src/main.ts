import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isRampartError } from '@rampart/core';
import { registerAdmin } from './commands/admin/index.js';
import { registerKeyVerbs } from './commands/keys.js';
import { EXIT } from './exit-codes.js';

/** The `rampart` command: thin verbs over the packages. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('rampart')
    .description('Rampart: fortify AI-powered mobile apps')
    .version(packageVersion(), '-V, --version', 'print the rampart version')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('serve')
    .description('start the gateway (demo mode with a mock provider when none is configured)')
    .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
    .addHelpText('after', SERVE_HELP)
    .action(async (options: { config?: string }) => {
      // Verbs load their packages on demand so that `rampart --help` stays quick.
      const { serve } = await import('./commands/serve.js');
      code = await serve(options.config);
    });

  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description('validate a configuration file without starting anything')
    .argument('<file>', 'YAML configuration file')
    .option('--skip-secrets', 'check everything but the presence of secrets (for CI)')
    .action(async (file: string, options: { skipSecrets?: boolean }) => {
      const { configCheck } = await import('./commands/config-check.js');
      code = await configCheck(file, process.stdout, process.stderr, options);
    });

  program
    .command('token')
    .description('print an access token (demo mode only: --dev)')
    .requiredOption('--dev', 'a 5-minute development token for the demo user (demo mode only)')
    .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
    .addHelpText('after', TOKEN_HELP)
    .action(async (options: { config?: string }) => {
      const { devToken } = await import('./commands/token.js');
      code = await devToken(options.config, process.stdout);
    });

  registerAdmin(program, (next) => {
    code = next;
  });
  registerKeyVerbs(program, (next) => {
    code = next;
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isRampartError(error)) {
      process.stderr.write(`rampart: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

const SERVE_HELP = `
Environment:
  RAMPART_CONFIG            configuration file when --config is not given
  RAMPART_PORT              TCP port (server.port; default 8787)
  RAMPART_DATA_DIR          SQLite database and generated keys (dataDir; default ./.rampart)
  RAMPART_<SECTION>__<KEY>  any other option, e.g. RAMPART_SERVER__HOST=127.0.0.1

Signals:
  SIGHUP  reread the key files now (they are reread every minute anyway; see rampart keys rotate)

Exit codes:
  ${EXIT.ok}  stopped by SIGTERM or SIGINT after draining
  ${EXIT.usage}  invalid or insecure configuration (each problem names its key and fix)
  ${EXIT.portInUse}  the port is already in use
  ${EXIT.cannotListen}  the address cannot be listened on (not this machine's, privileged port, unresolvable name)`;

const TOKEN_HELP = `
Development tokens exist only in demo mode (no provider configured): a bearer token for the
subject "demo" with the role "demo", valid 5 minutes, not bound to a DPoP key, signed with the
gateway's oidc-signing key from the data dir. It is printed as the last line:

  TOKEN=$(npx rampart token --dev)
  curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:8787/v1/models

Outside demo mode the command refuses (exit ${EXIT.usage}): apps sign in through OAuth 2.0
(docs/identity.md) and servers use service keys (rampart admin create-key).`;

/** The version of this package, from its package.json (next to dist/ when installed). */
function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
