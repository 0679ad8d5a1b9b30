import type { Endpoint } from './exchange.js';

/**
 * The `/v1` routes, relative to the prefix: the OpenAI-compatible API the gateway serves. Each
 * path answers 405 (with `Allow`) to the other methods, so that a wrong method is not a 404.
 */
export const V1_ROUTES = [
  { method: 'POST', path: '/chat/completions', endpoint: 'chat' },
  { method: 'POST', path: '/embeddings', endpoint: 'embeddings' },
  { method: 'GET', path: '/models', endpoint: 'models' },
] as const satisfies ReadonlyArray<{
  method: 'GET' | 'POST';
  path: string;
  endpoint: Endpoint;
}>;

export const V1_PREFIX = '/v1';

/** The methods a path does not serve, for its 405 route. */
export function otherMethods(
  method: 'GET' | 'POST',
): Array<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'> {
  return ['PUT', 'PATCH', 'DELETE', method === 'GET' ? 'POST' : 'GET'];
}
