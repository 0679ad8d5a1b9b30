import { gatewayError } from '../../errors.js';
import type { Provider } from '../../providers/types.js';
import type { ExtraParameterName } from './extensions.js';

export type ModelKind = 'chat' | 'embeddings';

/** What a model alias resolves to. Clients only ever name the alias; the rest is configuration. */
export interface ModelRoute {
  readonly alias: string;
  readonly kind: ModelKind;
  readonly provider: Provider;
  readonly upstreamModel: string;
  /** Vendor extensions the provider accepts (`providers.<name>.extraParameters`); none if absent. */
  readonly extraParameters?: readonly ExtraParameterName[];
}

export interface ModelRouter {
  resolve(alias: string, kind: ModelKind): ModelRoute;
  /** The route of an alias serving `kind`, or undefined: never refuses (resolve does). */
  find(alias: string, kind: ModelKind): ModelRoute | undefined;
  list(): readonly ModelRoute[];
}

export function createModelRouter(routes: readonly ModelRoute[]): ModelRouter {
  // A Map, not an object: an alias such as "__proto__" or "constructor" must not resolve.
  const byAlias = new Map(routes.map((route) => [route.alias, route]));
  return {
    resolve(alias, kind) {
      const route = byAlias.get(alias);
      if (route === undefined) {
        throw gatewayError(
          'model.unknown_alias',
          `No model "${truncate(alias)}" is configured. GET /v1/models lists the available models.`,
        );
      }
      if (route.kind !== kind) {
        throw gatewayError(
          'model.wrong_kind',
          `Model "${alias}" serves ${route.kind === 'chat' ? '/v1/chat/completions' : '/v1/embeddings'}.`,
        );
      }
      return route;
    },
    find(alias, kind) {
      const route = byAlias.get(alias);
      return route?.kind === kind ? route : undefined;
    },
    list: () => routes,
  };
}

function truncate(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
