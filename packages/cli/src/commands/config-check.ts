import { existsSync } from 'node:fs';
import { isRampartError } from '@rampart/core';
import { loadConfig, resolveProviderSettings } from '@rampart/gateway';
import { EXIT } from '../exit-codes.js';

/**
 * `rampart config check FILE`: validates exactly as `serve` would, without starting anything.
 * Exit 0 valid, 1 refused (each problem printed with its key and fix), 2 unreadable file.
 * Missing provider keys are warnings here: CI often checks configs without production secrets.
 */
export function configCheck(
  file: string,
  out: NodeJS.WriteStream,
  err: NodeJS.WriteStream,
): number {
  if (!existsSync(file)) {
    err.write(`rampart: ${file}: no such file\n`);
    return EXIT.usage;
  }
  try {
    const config = loadConfig({ file, env: process.env });
    for (const [name, provider] of Object.entries(config.providers)) {
      try {
        resolveProviderSettings(name, provider, process.env);
      } catch (error) {
        err.write(`warning: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    const models = Object.keys(config.models);
    out.write(
      `${file}: valid. ${config.demo ? 'No provider configured: serve would start in demo mode.' : `${Object.keys(config.providers).length} provider(s), ${models.length} model alias(es): ${models.join(', ')}.`}\n`,
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
