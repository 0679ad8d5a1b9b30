import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import type { GatewayMetrics } from '../../monitor/metrics.js';
import type { CallOptions, JsonResult, Provider } from '../../providers/types.js';
import { gatewayError } from '../../errors.js';
import { newExchange } from '../context.js';
import { upstreamSignal } from './abort.js';
import type { ModelKind, ModelRouter } from './router.js';
import { chatRequestSchema, embeddingsRequestSchema } from './schemas.js';
import { sseEvents } from './sse.js';
import { writeSse } from './sse-writer.js';
import { validateBody } from './validate.js';

export interface ProxyDeps {
  readonly config: Config;
  readonly router: ModelRouter;
  readonly metrics: GatewayMetrics;
  /** Aborted when the shutdown grace runs out. */
  readonly shutdown: AbortSignal;
}

/**
 * Stage 7, proxy: the OpenAI-compatible routes. The client names a model alias; the alias
 * decides the provider and upstream model, so no client input can choose where a request goes.
 */
export function installProxy(app: FastifyInstance, deps: ProxyDeps): void {
  const { router, metrics, shutdown } = deps;
  const chatSchema = chatRequestSchema(deps.config.limits.maxMessages);

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

  /** Resolves the alias and starts the exchange the later stages read: shared by both routes. */
  const begin = (
    request: FastifyRequest,
    reply: FastifyReply,
    body: { model: string },
    kind: ModelKind,
  ) => {
    const route = router.resolve(body.model, kind);
    const exchange = (request.exchange = newExchange());
    exchange.route = route;
    const upstreamBody: Record<string, unknown> = { ...body, model: route.upstreamModel };
    const options: CallOptions = { signal: upstreamSignal(reply, shutdown), requestId: request.id };
    return { route, exchange, upstreamBody, options };
  };

  const sendJson = (request: FastifyRequest, alias: string, result: JsonResult) => {
    if (request.exchange) request.exchange.usage = result.usage;
    const body = result.body;
    if ('model' in body) body['model'] = alias;
    return body;
  };

  app.post('/v1/chat/completions', async (request, reply) => {
    const body = validateBody(chatSchema, request.body);
    const { route, exchange, upstreamBody, options } = begin(request, reply, body, 'chat');
    if (body.stream !== true) {
      return sendJson(
        request,
        route.alias,
        await timed(route.provider, () => route.provider.chat(upstreamBody, options)),
      );
    }
    const stream = await timed(route.provider, () =>
      route.provider.chatStream(upstreamBody, options),
    );
    exchange.streamed = true;
    const events = sseEvents(stream, route.alias, request.id, exchange, shutdown, (error) => {
      metrics.streamsInterrupted.inc({ provider: route.provider.name, code: error.code });
      request.log.warn({ code: error.code, provider: route.provider.name }, 'stream interrupted');
    });
    await writeSse(reply, events);
    return reply;
  });

  app.post('/v1/embeddings', async (request, reply) => {
    const body = validateBody(embeddingsRequestSchema, request.body);
    const { route, upstreamBody, options } = begin(request, reply, body, 'embeddings');
    return sendJson(
      request,
      route.alias,
      await timed(route.provider, () => route.provider.embeddings(upstreamBody, options)),
    );
  });

  app.get('/v1/models', () => ({
    object: 'list',
    data: router.list().map((route) => ({
      id: route.alias,
      object: 'model',
      created: 0,
      owned_by: 'rampart',
      kind: route.kind,
    })),
  }));

  // The paths exist for other methods: say 405, not 404.
  for (const [url, allow] of [
    ['/v1/chat/completions', 'POST'],
    ['/v1/embeddings', 'POST'],
    ['/v1/models', 'GET'],
  ] as const) {
    app.route({
      method: [
        'PUT',
        'PATCH',
        'DELETE',
        ...(allow === 'GET' ? (['POST'] as const) : (['GET'] as const)),
      ],
      url,
      handler: (_request, reply) => {
        reply.header('allow', allow);
        throw gatewayError('route.method_not_allowed', `Use ${allow} ${url}.`);
      },
    });
  }
}
