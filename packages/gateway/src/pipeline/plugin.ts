import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { gatewayError } from '../errors.js';
import { refuse, sendProblem } from '../http/error-handler.js';
import { inFlightOf } from '../http/in-flight.js';
import { routeOf } from '../http/route-info.js';
import type { GatewayMetrics } from '../monitor/metrics.js';
import type { JsonObject } from '../providers/types.js';
import { gatewayCode } from './codes.js';
import { newExchange, type Exchange } from './exchange.js';
import { createTurnQueue, LARGE_BODY_BYTES } from './large-bodies.js';
import { closedEnding, endExchange } from './lifecycle.js';
import type { ModelRouter } from './parse/router.js';
import { planPhases, runRequestPhases, type PhasePlan } from './phases.js';
import { otherMethods, V1_PREFIX, V1_ROUTES } from './routes.js';
import { ExchangeSignals } from './signal.js';
import { writeSse } from './sse-writer.js';
import type { Stage, StreamTransform } from './stage.js';

export interface PipelineWiring {
  /** Each route's body bound (routes.ts names the option; Fastify applies it before reading). */
  readonly config: Pick<Config, 'limits'>;
  /** Lists the aliases for `GET /v1/models`. */
  readonly router: ModelRouter;
  readonly metrics: GatewayMetrics;
  /** Aborted when the shutdown grace runs out: ends in-flight upstream calls and streams. */
  readonly shutdown: AbortSignal;
}

/**
 * Installs a stage list as the `/v1` routes: one scoped Fastify plugin whose hooks run the
 * stages' phases in list order. Nothing outside `/v1` (health, readiness, metrics, 404s) passes
 * through the stages. Stages never see Fastify's hooks; this is the one place that does.
 */
export function installPipeline(
  app: FastifyInstance,
  stages: readonly Stage[],
  wiring: PipelineWiring,
): void {
  const plan = planPhases(stages);
  const signals = new ExchangeSignals(wiring.shutdown);

  app.register(
    (v1, _options, registered) => {
      v1.addHook('onRequest', (request, reply, next) => {
        const abort = signals.forResponse(reply.raw);
        const route = routeOf(request);
        const exchange = newExchange(
          request.id,
          route.endpoint ?? 'method_not_allowed',
          route.url ?? V1_PREFIX,
          abort.signal,
        );
        request.exchange = exchange;
        // Success, a stream cut by the client, or a request abandoned mid-body: all end here,
        // after the last byte. Refusals end earlier, in the error handler, and this is a no-op.
        reply.raw.once('close', () => {
          abort.closed();
          void endExchange(exchange, closedEnding(reply.raw, exchange), plan, request.log);
        });
        // A refusal Node writes on the socket itself (a request timeout mid-body) ends it too.
        const inFlight = inFlightOf(reply.raw);
        if (inFlight !== undefined) {
          inFlight.refuse = async (status, code) => {
            await endExchange(
              exchange,
              { status, outcome: code, refused: true },
              plan,
              request.log,
            );
          };
        }
        runRequestPhases(plan.headers, exchange, request, next);
      });

      // Bodies are JSON only, decoded by the one stage that decodes (limits: bounded depth),
      // large ones one per event-loop turn (large-bodies.ts). Any other content type is refused
      // with 415 by Fastify's content-type check.
      v1.removeAllContentTypeParsers();
      const largeBodies = createTurnQueue();
      // Read as a string: Fastify decodes UTF-8 chunk by chunk as the body arrives, spread over
      // the upload, where a Buffer would be joined and decoded in one go at the end.
      v1.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
        const text = typeof body === 'string' ? body : body.toString('utf8');
        // The attest stage asked for the body's digest (an App Attest assertion signs it).
        const exchange = request.exchange;
        if (exchange?.bodySha256 === null) {
          exchange.bodySha256 = createHash('sha256').update(text, 'utf8').digest('base64url');
        }
        const decode = () => {
          try {
            done(null, plan.decode(text));
          } catch (error) {
            done(error as Error);
          }
        };
        if (text.length < LARGE_BODY_BYTES) decode();
        else largeBodies.run(decode);
      });

      v1.addHook('preHandler', (request, _reply, next) => {
        runRequestPhases(plan.body, exchangeOf(request), request, next);
      });

      v1.setErrorHandler(async (error, request, reply) => {
        const problem = refuse(error, request, wiring.metrics);
        const exchange = request.exchange;
        if (exchange !== null) {
          if (exchange.responseHeaders !== undefined) reply.headers(exchange.responseHeaders);
          // Awaited before the problem is written: an audit event commits first.
          await endExchange(
            exchange,
            { status: problem.status, outcome: gatewayCode(problem), refused: true },
            plan,
            request.log,
          );
        }
        return sendProblem(request, reply, problem);
      });

      const forward = forwardHandler(plan, wiring.metrics);
      for (const route of V1_ROUTES) {
        const handler = route.endpoint === 'models' ? listModels(plan, wiring.router) : forward;
        v1.route({
          method: route.method,
          url: route.path,
          config: { endpoint: route.endpoint },
          bodyLimit: wiring.config.limits[route.bodyLimit],
          handler,
        });
        v1.route({
          method: otherMethods(route.method),
          url: route.path,
          config: { endpoint: 'method_not_allowed' },
          handler: (_request, reply) => {
            reply.header('allow', route.method);
            throw gatewayError(
              'route.method_not_allowed',
              `Use ${route.method} ${V1_PREFIX}${route.path}.`,
            );
          },
        });
      }
      registered();
    },
    { prefix: V1_PREFIX },
  );
}

function exchangeOf(request: FastifyRequest): Exchange {
  const exchange = request.exchange;
  if (exchange === null) throw gatewayError('internal.error', 'No exchange on a /v1 request.');
  return exchange;
}

/** The upstream call (the one `forward` phase), then the response phases or stream transforms. */
function forwardHandler(plan: PhasePlan, metrics: GatewayMetrics) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const exchange = exchangeOf(request);
    if (exchange.dpopNonce !== undefined) reply.header('dpop-nonce', exchange.dpopNonce);
    if (exchange.responseHeaders !== undefined) reply.headers(exchange.responseHeaders);
    const forwarded = await plan.forward(exchange);
    if (forwarded.type === 'json') return respond(plan, exchange, forwarded.body);
    const transforms: StreamTransform[] = [];
    for (const phase of plan.stream) {
      const transform = phase(exchange);
      if (transform !== undefined) transforms.push(transform);
    }
    const failure = await writeSse(reply, exchange, forwarded.stream, transforms);
    if (failure !== undefined) {
      const provider = exchange.route?.provider.name ?? '(none)';
      metrics.streamsInterrupted.inc({ provider, code: failure.code });
      request.log.warn({ code: failure.code, provider }, 'stream interrupted');
    }
    return reply;
  };
}

/** A JSON answer through every `response` phase, in list order. */
async function respond(plan: PhasePlan, exchange: Exchange, body: JsonObject): Promise<JsonObject> {
  for (const phase of plan.response) {
    const result = phase(exchange, body);
    const replacement = result instanceof Promise ? await result : result;
    if (replacement !== undefined) body = replacement;
  }
  return body;
}

/** The alias list, through the `response` phases too (authorize keeps the caller's own). */
function listModels(plan: PhasePlan, router: ModelRouter) {
  return (request: FastifyRequest) =>
    respond(plan, exchangeOf(request), {
      object: 'list',
      data: router.list().map((route) => ({
        id: route.alias,
        object: 'model',
        created: 0,
        owned_by: 'rampart',
        kind: route.kind,
      })),
    });
}
