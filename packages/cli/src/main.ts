import { Command, CommanderError } from 'commander';
import { isRampartError } from '@rampart/core';
import { EXIT } from './exit-codes.js';

/** The `rampart` command: thin verbs over the packages. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('rampart')
    .description('Rampart: fortify AI-powered mobile apps')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('serve')
    .description('start the gateway (demo mode with a mock provider when none is configured)')
    .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
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
