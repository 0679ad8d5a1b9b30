import { existsSync } from 'node:fs';
import { isRampartError } from '@rampart/core';
import { describeSkipped, loadConfig, resolveSecrets } from '@rampart/gateway';
import { EXIT } from '../exit-codes.js';

export interface ConfigCheckOptions {
  /** Check everything but the presence of secrets (CI, where production secrets are absent). */
  readonly skipSecrets?: boolean;
}

/**
 * `rampart config check FILE`: validates exactly as `serve` would, without starting anything:
 * the schema, insecure combinations and (unless `--skip-secrets`) every secret the file names —
 * provider keys, key sources, the TLS key pair. Exit 0 valid, 1 refused (each problem printed
 * with its key and fix), 2 unreadable file. An `optional` provider whose key is missing is
 * reported and left out, as `serve` would.
 */
export async function configCheck(
  file: string,
  out: NodeJS.WriteStream,
  err: NodeJS.WriteStream,
  options: ConfigCheckOptions = {},
): Promise<number> {
  if (!existsSync(file)) {
    err.write(`rampart: ${file}: no such file\n`);
    return EXIT.usage;
  }
  try {
    const config = loadConfig({ file, env: process.env });
    let models = Object.keys(config.models);
    let providers = Object.keys(config.providers).length;
    let note = '';
    if (options.skipSecrets) {
      note = ' Secrets not checked (--skip-secrets).';
    } else {
      const secrets = await resolveSecrets(config, process.env);
      if (secrets.problems.length > 0) {
        const lines = secrets.problems.map((p) => `  ${p.key}: ${p.message}`).join('\n');
        err.write(`${file}: serve would refuse it, secrets not available:\n${lines}\n`);
        return EXIT.findings;
      }
      for (const skipped of secrets.skipped) err.write(`warning: ${describeSkipped(skipped)}\n`);
      models = Object.keys(secrets.models);
      providers = secrets.providers.size;
    }
    out.write(
      `${file}: valid. ${config.demo ? 'No provider configured: serve would start in demo mode.' : `${providers} provider(s), ${models.length} model alias(es): ${models.join(', ')}.`}${note}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (isRampartError(error) && error.code.startsWith('config.')) {
      err.write(`${file}: ${error.message}\n`);
      return EXIT.findings;
    }
    throw error;
  }
}
