import { keySources, loadConfig, mintDevToken, openKeyring } from '@rampart/gateway';
import { EXIT } from '../exit-codes.js';

/**
 * `rampart token --dev`: prints a development token (identity/dev-token in the gateway) as the
 * last line of standard output, for the demo and the README's tour. Refuses outside demo mode
 * with `auth.dev_token_refused`, which main.ts prints (exit 2). Reads the keys from the same
 * data dir as the gateway, so the token verifies there.
 */
export async function devToken(
  configFile: string | undefined,
  out: NodeJS.WritableStream,
): Promise<number> {
  const config = loadConfig({ file: configFile, env: process.env });
  const keyring = await openKeyring({
    dataDir: config.dataDir,
    sources: keySources(config.keys),
    env: process.env,
  });
  out.write(`${await mintDevToken(config, keyring)}\n`);
  return EXIT.ok;
}
