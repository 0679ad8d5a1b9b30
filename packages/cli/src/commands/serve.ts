import { loadConfig, startGateway, type RunningGateway } from '@rampart/gateway';
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
  process.stdout.write(banner(gateway));

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

function banner(gateway: RunningGateway): string {
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
      '  Try:',
      `    curl ${url}/v1/models`,
      `    curl ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
      `      -d '{"model":"demo-chat","messages":[{"role":"user","content":"Hello"}]}'`,
      `    curl -N ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
      `      -d '{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"Hello"}]}'`,
    );
  } else {
    lines.push(`  models    ${gateway.models.join(', ')}`);
  }
  lines.push('', `  Health ${url}/healthz   Ready ${url}/readyz   Metrics ${url}/metrics`, '');
  return `${lines.join('\n')}\n`;
}
