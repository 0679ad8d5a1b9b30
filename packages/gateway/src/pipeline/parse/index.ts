import type { JsonObject } from '../../providers/types.js';
import type { Exchange } from '../exchange.js';
import type { Stage, StreamTransform } from '../stage.js';
import type { ModelRouter } from './router.js';
import { chatRequestSchema, embeddingsRequestSchema } from './schemas.js';
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
 */
export function parseStage(deps: ParseDeps): Stage {
  const chatSchema = chatRequestSchema(deps.maxMessages);
  return {
    name: 'parse',

    body(exchange, request) {
      if (exchange.endpoint === 'chat') {
        const body = validateBody(chatSchema, request.body);
        exchange.request = { kind: 'chat', body };
        exchange.route = deps.router.resolve(body.model, 'chat');
      } else if (exchange.endpoint === 'embeddings') {
        const body = validateBody(embeddingsRequestSchema, request.body);
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

function showAlias(exchange: Exchange, body: JsonObject): void {
  if (exchange.route !== undefined && 'model' in body) body['model'] = exchange.route.alias;
}
