/**
 * Runs the mock upstream in its own process, for benchmarks (so its work is not counted against
 * the gateway's cores) and for trying the gateway by hand:
 *
 *   node packages/testkit/dist/main.js --port 9999 [--host H] [--mode upstream|demo]
 *     [--latency-ms N] [--stream-chunks N] [--stream-interval-ms N] [--fault F] [--reply TEXT]
 *
 * Prints the URL once listening, then serves until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startMockUpstream } from './server.js';
import { isMockFault, type MockUpstreamOptions } from './types.js';

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new RangeError(`--${name} must be a number, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'latency-ms': { type: 'string' },
      'stream-chunks': { type: 'string' },
      'stream-interval-ms': { type: 'string' },
      fault: { type: 'string' },
      mode: { type: 'string' },
      reply: { type: 'string' },
    },
    strict: true,
  });
  const options: MockUpstreamOptions = {};
  const port = number('port', values.port);
  if (port !== undefined) options.port = port;
  if (values.host !== undefined) options.host = values.host;
  const latencyMs = number('latency-ms', values['latency-ms']);
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  const streamChunks = number('stream-chunks', values['stream-chunks']);
  if (streamChunks !== undefined) options.streamChunks = streamChunks;
  const streamIntervalMs = number('stream-interval-ms', values['stream-interval-ms']);
  if (streamIntervalMs !== undefined) options.streamIntervalMs = streamIntervalMs;
  if (values.mode !== undefined) {
    if (values.mode !== 'upstream' && values.mode !== 'demo') {
      throw new RangeError(`--mode must be upstream or demo, got ${values.mode}`);
    }
    options.mode = values.mode;
  }
  if (values.reply !== undefined) options.reply = values.reply;
  if (values.fault !== undefined) {
    if (!isMockFault(values.fault)) throw new RangeError(`--fault: unknown fault ${values.fault}`);
    options.fault = values.fault;
  }

  const mock = await startMockUpstream(options);
  process.stdout.write(`${mock.url}\n`);
  const stop = (): void => {
    mock.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `mock upstream: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(2);
});
