import { gatewayError } from '../../errors.js';
import type { GatewayMetrics } from '../../monitor/metrics.js';
import type { CallOptions, Provider } from '../../providers/types.js';
import type { Forwarded, Stage, StreamTransform } from '../stage.js';

/**
 * Stage proxy: the upstream call through the route's provider adapter, JSON or SSE, with what
 * the parse stage (and, later, the input guards) left in `exchange.upstreamBody`. It times the
 * call and keeps `exchange.usage` current while a stream runs, so that a cut or abandoned
 * stream still records the tokens known so far.
 */
export function proxyStage(deps: { readonly metrics: GatewayMetrics }): Stage {
  const { metrics } = deps;

  const timed = async <T>(provider: Provider, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await call();
    } catch (error) {
      outcome = (error as { code?: string }).code ?? 'internal.error';
      throw error;
    } finally {
      metrics.upstreamDuration.observe(
        { provider: provider.name, outcome },
        (performance.now() - started) / 1000,
      );
    }
  };

  return {
    name: 'proxy',

    async forward(exchange): Promise<Forwarded> {
      const { route, request, upstreamBody } = exchange;
      if (route === undefined || request === undefined || upstreamBody === undefined) {
        // The parse stage runs first; reaching here without it is a wiring bug, not bad input.
        throw gatewayError('internal.error', 'The request reached the proxy unparsed.');
      }
      // A client that left, or a shutdown whose grace ran out, while earlier stages awaited
      // (a JWKS fetch, a store read): no upstream call is started for nobody. The reason is
      // the RampartError the exchange was aborted with.
      exchange.signal.throwIfAborted();
      const { provider } = route;
      const options: CallOptions = { signal: exchange.signal, requestId: exchange.requestId };
      if (request.kind === 'embeddings') {
        const result = await timed(provider, () => provider.embeddings(upstreamBody, options));
        exchange.usage = result.usage;
        return { type: 'json', body: result.body };
      }
      if (request.body.stream !== true) {
        const result = await timed(provider, () => provider.chat(upstreamBody, options));
        exchange.usage = result.usage;
        return { type: 'json', body: result.body };
      }
      const stream = await timed(provider, () => provider.chatStream(upstreamBody, options));
      exchange.upstreamStream = stream;
      return { type: 'stream', stream };
    },

    stream(exchange): StreamTransform | undefined {
      const stream = exchange.upstreamStream;
      if (stream === undefined) return undefined;
      return {
        // Current while the stream runs (for stages that meter as it goes); `done` takes the
        // final count however the stream ended.
        batch(chunks) {
          exchange.usage = stream.usage() ?? exchange.usage;
          return chunks;
        },
      };
    },

    done(exchange) {
      // A stream cut short (by the upstream, the client or shutdown) knows what it saw so far.
      const stream = exchange.upstreamStream;
      if (stream !== undefined) exchange.usage = stream.usage() ?? exchange.usage;
    },
  };
}
