/**
 * Rampart for the attested row (f): the gateway as `rampart serve` starts it (`loadConfig` +
 * `startGateway`), except that its only App Attest trust anchor is the given root — the
 * benchmark's mock CA — instead of Apple's. There is deliberately no configuration option for
 * that (a production foot-gun), hence this bench-only script; it serves nothing else.
 *
 *   node bench/gateway-overhead/attested-server.js --config rampart.yaml --app-attest-root root.pem
 *
 * Prints the gateway's URL once listening; SIGTERM or SIGINT closes it and exits.
 */
// tsyringe (inside @peculiar/x509) refuses to load without a Reflect metadata polyfill.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { X509Certificate } from '@peculiar/x509';
import { loadConfig, startGateway } from '@rampart/gateway';

const { values } = parseArgs({
  options: { config: { type: 'string' }, 'app-attest-root': { type: 'string' } },
});
if (values.config === undefined || values['app-attest-root'] === undefined) {
  throw new Error('usage: attested-server.js --config FILE --app-attest-root PEM_FILE');
}
const root = new X509Certificate(readFileSync(values['app-attest-root'], 'utf8'));
const config = loadConfig({ file: values.config, env: process.env });
const gateway = await startGateway(config, {
  attestation: { roots: { appleAppAttest: [root] } },
});
process.stdout.write(`${gateway.url}\n`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
