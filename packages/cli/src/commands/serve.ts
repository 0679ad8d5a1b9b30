import {
  DEV_TOKEN_TTL_SECONDS,
  devTokensAccepted,
  loadConfig,
  mintDevToken,
  startGateway,
  type RunningGateway,
} from '@rampart/gateway';
import { listenFailure } from './listen-failure.js';

/** `rampart serve [--config FILE]`: runs the gateway until SIGTERM or SIGINT, then drains. */
export async function serve(configFile: string | undefined): Promise<number> {
  const config = loadConfig({ file: configFile, env: process.env });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config);
  } catch (error) {
    const failure = listenFailure(error, config.server.host, config.server.port);
    if (failure === undefined) throw error;
    process.stderr.write(`rampart: ${failure.message}\n`);
    return failure.code;
  }
  const token = devTokensAccepted(config) ? await mintDevToken(config, gateway.keyring) : undefined;
  process.stdout.write(banner(gateway, token));

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(
        `\nrampart: ${signal} received: readiness fails for ${config.server.drainDelayMs} ms, then in-flight requests get up to ${config.server.shutdownGraceMs} ms…\n`,
      );
      // A second signal means "now": exit without waiting for in-flight streams.
      process.once(signal, () => process.exit(1));
      gateway.close().then(resolve, (error: unknown) => {
        process.stderr.write(`rampart: shutdown error: ${String(error)}\n`);
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/** What to print on start; `token` is a development token in demo mode with authentication on. */
function banner(gateway: RunningGateway, token: string | undefined): string {
  const { url, demo, config } = gateway;
  const lines = [
    '',
    `Rampart gateway listening on ${url}`,
    `  data dir  ${config.dataDir}   database  ${gateway.store.engine}`,
  ];
  if (demo) {
    lines.push(
      '',
      '  DEMO MODE — no AI provider is configured. Requests are answered by the built-in',
      '  mock provider "demo"; nothing is sent to a real model. Configure providers in',
      '  rampart.yaml (see docs/config.md) to proxy a real one.',
      '',
      ...tryLines(url, token),
    );
  } else {
    lines.push(`  models    ${gateway.models.join(', ')}`);
  }
  lines.push('', `  Health ${url}/healthz   Ready ${url}/readyz   Metrics ${url}/metrics`, '');
  return `${lines.join('\n')}\n`;
}

/**
 * The demo's curl examples. With authentication on they carry a development token valid for
 * `DEV_TOKEN_TTL_SECONDS`; `rampart token --dev` prints a fresh one.
 */
function tryLines(url: string, token: string | undefined): string[] {
  const auth = token === undefined ? '' : ` -H "authorization: Bearer $TOKEN"`;
  const intro =
    token === undefined
      ? ['  Try (auth.mode is none: /v1 is anonymous):']
      : [
          `  Try (a development token for the user "demo", valid ${DEV_TOKEN_TTL_SECONDS / 60} minutes;`,
          '  `npx rampart token --dev` prints a fresh one):',
          `    TOKEN=${token}`,
        ];
  return [
    ...intro,
    `    curl${auth} ${url}/v1/models`,
    `    curl${auth} ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
    `      -d '{"model":"demo-chat","messages":[{"role":"user","content":"Hello"}]}'`,
    `    curl -N${auth} ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
    `      -d '{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"Hello"}]}'`,
  ];
}
