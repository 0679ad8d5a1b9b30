import { isRampartError } from '@rampart/core';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';

interface RotateOptions {
  readonly config?: string;
  readonly overlapHours?: string;
}

/**
 * `rampart keys rotate <name>`: makes a new current key in `<dataDir>/keys/<name>.json` and
 * keeps the previous one verifying for the overlap (docs/keys.md, "Rotation"). Running gateways
 * on the same data directory reread their key files within a minute, or at once on SIGHUP, so
 * no restart is needed. Exit 0 when rotated, 2 on a usage or I/O error (an unknown name, a key
 * supplied by a file or variable, which Rampart never rewrites: `keys.read_only`).
 */
export function registerKeyVerbs(program: Command, setCode: (code: number) => void): void {
  const keys = program.command('keys').description('the keys Rampart generated (docs/keys.md)');
  keys
    .command('rotate')
    .description('make a new current key; the old one keeps verifying for the overlap')
    .argument('<name>', 'oidc-signing, cookie-secret, audit-checkpoint or data-kek')
    .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
    .option(
      '--overlap-hours <hours>',
      'how long the old key keeps verifying (default 168, 7 days; 0 retires it at once)',
    )
    .action(async (name: string, options: RotateOptions) => {
      setCode(await rotate(name, options));
    });
}

async function rotate(name: string, options: RotateOptions): Promise<number> {
  const { isKeyName, KEY_NAMES, keySources, loadConfig, openKeyring } =
    await import('@rampart/gateway');
  if (!isKeyName(name)) {
    process.stderr.write(`rampart: unknown key ${name}; known: ${KEY_NAMES.join(', ')}\n`);
    return EXIT.usage;
  }
  let overlapMs: number | undefined;
  if (options.overlapHours !== undefined) {
    const hours = Number(options.overlapHours);
    if (!/^\d+(\.\d+)?$/.test(options.overlapHours) || !Number.isFinite(hours)) {
      process.stderr.write('rampart: --overlap-hours must be a number of hours, 0 or more\n');
      return EXIT.usage;
    }
    overlapMs = hours * 3_600_000;
  }
  try {
    const config = loadConfig({ file: options.config, env: process.env });
    const keyring = await openKeyring({
      dataDir: config.dataDir,
      sources: keySources(config.keys),
    });
    const previous = keyring.current(name).kid;
    const fresh = await keyring.rotate(name, overlapMs === undefined ? {} : { overlapMs });
    process.stdout.write(
      `${name}: new current key ${fresh.kid} (previous ${previous}). Running gateways pick it up within a minute, or at once on SIGHUP.\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (!isRampartError(error)) throw error;
    process.stderr.write(`rampart: ${error.message}\n`);
    return EXIT.usage;
  }
}
