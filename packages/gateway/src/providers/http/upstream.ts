import { Pool } from 'undici';
import type { ProviderSettings } from '../types.js';
import { DEFAULT_RETRY_TUNING, type RetryTuning } from './retry.js';

/**
 * One upstream endpoint: a connection pool to its origin plus everything fixed about how we call
 * it (base path, query, headers with the key). Built once per provider at start-up.
 */
export class Upstream {
  readonly settings: ProviderSettings;
  readonly tuning: RetryTuning;
  readonly pool: Pool;
  readonly #basePath: string;
  readonly #search: string;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(settings: ProviderSettings, tuning: RetryTuning = DEFAULT_RETRY_TUNING) {
    this.settings = settings;
    this.tuning = tuning;
    const base = new URL(settings.baseUrl);
    this.#basePath = base.pathname.replace(/\/+$/, '');
    const query = new URLSearchParams(base.search);
    for (const [name, value] of Object.entries(settings.query)) query.set(name, value);
    this.#search = query.size > 0 ? `?${query.toString()}` : '';
    this.#headers = buildHeaders(settings);
    this.pool = new Pool(base.origin, {
      connect: { timeout: settings.connectTimeoutMs },
      // One request per connection at a time: a slow completion must not block the next one,
      // and a failure can then be attributed to exactly one request.
      pipelining: 1,
      // Upstreams announce their own idle timeout (`Keep-Alive: timeout=N`), which undici
      // honours below these ceilings.
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: settings.headersTimeoutMs,
      bodyTimeout: settings.bodyTimeoutMs,
    });
  }

  /** `/chat/completions` → `/v1/chat/completions?api-version=…` under the configured base URL. */
  path(endpoint: string): string {
    return `${this.#basePath}${endpoint}${this.#search}`;
  }

  headers(accept: string): Record<string, string> {
    return { ...this.#headers, accept };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Fixed headers first, then ours, so configuration can neither drop the content type nor
 * replace the key header. Key headers come only from `apiKey` (a secret read from the environment
 * or a file), never from the config file's fixed headers; the key appears here and nowhere else.
 */
function buildHeaders(settings: ProviderSettings): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.headers)) headers[name.toLowerCase()] = value;
  if (settings.type === 'anthropic' && headers['anthropic-version'] === undefined) {
    headers['anthropic-version'] = '2023-06-01';
  }
  headers['content-type'] = 'application/json';
  delete headers.authorization;
  delete headers['api-key'];
  delete headers['x-api-key'];
  if (settings.apiKey !== undefined && settings.apiKey !== '') {
    const [name, value] = authHeader(settings.authHeader, settings.apiKey);
    headers[name] = value;
  }
  return headers;
}

function authHeader(kind: ProviderSettings['authHeader'], key: string): [string, string] {
  switch (kind) {
    case 'bearer':
      return ['authorization', `Bearer ${key}`];
    case 'api-key':
      return ['api-key', key];
    case 'x-api-key':
      return ['x-api-key', key];
  }
}
