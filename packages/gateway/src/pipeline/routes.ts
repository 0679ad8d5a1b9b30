import type { Endpoint } from './exchange.js';

/**
 * The `/v1` routes, relative to the prefix: the OpenAI-compatible API the gateway serves. Each
 * path answers 405 (with `Allow`) to the other methods, so that a wrong method is not a 404.
 * `bodyLimit` names the `limits` option that bounds the route's body (chat carries images).
 */
export const V1_ROUTES = [
  { method: 'POST', path: '/chat/completions', endpoint: 'chat', bodyLimit: 'maxChatBodyBytes' },
  { method: 'POST', path: '/embeddings', endpoint: 'embeddings', bodyLimit: 'maxBodyBytes' },
  { method: 'GET', path: '/models', endpoint: 'models', bodyLimit: 'maxBodyBytes' },
] as const satisfies ReadonlyArray<{
  method: 'GET' | 'POST';
  path: string;
  endpoint: Endpoint;
  bodyLimit: 'maxChatBodyBytes' | 'maxBodyBytes';
}>;

export const V1_PREFIX = '/v1';

/** The methods a path does not serve, for its 405 route. */
export function otherMethods(
  method: 'GET' | 'POST',
): Array<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'> {
  return ['PUT', 'PATCH', 'DELETE', method === 'GET' ? 'POST' : 'GET'];
}
