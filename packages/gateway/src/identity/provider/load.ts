import type { FastifyBaseLogger } from 'fastify';
import type * as Configuration from './configuration.js';

const LIBRARY_WARNING = 'oidc-provider WARNING: ';

/**
 * Imports the provider's configuration, and with it oidc-provider, once. On import
 * oidc-provider prints `oidc-provider WARNING: Unsupported runtime…` with console.warn on Node
 * older than 22 LTS; Rampart supports Node 20.19+ (DESIGN.md) and its tests pass there. That
 * unstructured stderr line would break the gateway's one-line start-up failures and JSON logs,
 * so it is held during the import and written once through the gateway's logger instead. Any
 * other console.warn during the import passes through untouched.
 */
export async function importProviderConfiguration(
  logger: FastifyBaseLogger,
): Promise<typeof Configuration> {
  const original = console.warn;
  const held: string[] = [];
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (text.startsWith(LIBRARY_WARNING)) held.push(text.slice(LIBRARY_WARNING.length));
    else original(...args);
  };
  try {
    return await import('./configuration.js');
  } finally {
    console.warn = original;
    for (const message of held) logger.warn({ library: 'oidc-provider' }, message);
  }
}
