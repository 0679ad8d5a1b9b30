import type { JsonObject } from '../../providers/types.js';
import type { Exchange } from '../exchange.js';
import type { Stage, StreamTransform } from '../stage.js';
import type { ModelRoute, ModelRouter } from './router.js';
import {
  chatRequestSchema,
  embeddingsRequestSchema,
  REFUSED_CHAT_PARAMETERS,
  REFUSED_EMBEDDING_PARAMETERS,
  type ChatRequestSchema,
} from './schemas.js';
import { validateBody } from './validate.js';

export interface ParseDeps {
  readonly router: ModelRouter;
  readonly maxMessages: number;
}

/**
 * Stage parse: validates the decoded body against the endpoint's schema and resolves the model
 * alias. The client only ever names an alias; the alias decides the provider and the upstream
 * model, so no client input can choose where a request goes. On the way back the upstream
 * model name is replaced by the alias again (it is configuration, not the client's to see):
 * here, once, for JSON answers and streams alike.
 *
 * Which vendor extensions a chat body may carry depends on the alias's provider, so the alias
 * is looked up first, quietly; the body is then validated (with that provider's extensions)
 * before the alias is resolved for good, so that an invalid body is refused as such whatever
 * it names, as it always was.
 */
export function parseStage(deps: ParseDeps): Stage {
  const chatSchemas = chatSchemaCache(deps.maxMessages);
  return {
    name: 'parse',

    body(exchange, request) {
      if (exchange.endpoint === 'chat') {
        const schema = chatSchemas(deps.router.find(modelOf(request.body), 'chat'));
        const body = validateBody(schema, request.body, REFUSED_CHAT_PARAMETERS);
        exchange.request = { kind: 'chat', body };
        exchange.route = deps.router.resolve(body.model, 'chat');
      } else if (exchange.endpoint === 'embeddings') {
        const body = validateBody(
          embeddingsRequestSchema,
          request.body,
          REFUSED_EMBEDDING_PARAMETERS,
        );
        exchange.request = { kind: 'embeddings', body };
        exchange.route = deps.router.resolve(body.model, 'embeddings');
      } else {
        return;
      }
      exchange.upstreamBody = { ...exchange.request.body, model: exchange.route.upstreamModel };
    },

    response(exchange, body) {
      showAlias(exchange, body);
    },

    stream(exchange): StreamTransform | undefined {
      const alias = exchange.route?.alias;
      if (alias === undefined) return undefined;
      return {
        batch(chunks) {
          // Every OpenAI chunk names its model; an adapter's chunk that does not gets it too.
          for (const chunk of chunks) chunk['model'] = alias;
          return chunks;
        },
      };
    },
  };
}

/** The chat schema for a route: the base one, or one built once per route with extensions. */
function chatSchemaCache(maxMessages: number) {
  const base = chatRequestSchema(maxMessages);
  const byRoute = new WeakMap<ModelRoute, ChatRequestSchema>();
  return (route: ModelRoute | undefined): ChatRequestSchema => {
    const extra = route?.extraParameters;
    if (route === undefined || extra === undefined || extra.length === 0) return base;
    let schema = byRoute.get(route);
    if (schema === undefined) {
      schema = chatRequestSchema(maxMessages, extra);
      byRoute.set(route, schema);
    }
    return schema;
  };
}

function modelOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || !('model' in body)) return '';
  return typeof body.model === 'string' ? body.model : '';
}

function showAlias(exchange: Exchange, body: JsonObject): void {
  if (exchange.route !== undefined && 'model' in body) body['model'] = exchange.route.alias;
}
