import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockUpstream, type MockUpstream } from '@rampart/testkit';
import { deepMerge } from '../../src/config/env.js';
import { validateConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { AccountsDouble } from './accounts-double.js';

export const CLIENT_ID = 'com.example.app';
export const REDIRECT_URI = 'com.example.app:/oauth2redirect';

/** A free loopback port: the issuer URL must be known before the gateway starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface IdentityGateway {
  readonly gateway: RunningGateway;
  readonly mock: MockUpstream;
  readonly accounts: AccountsDouble;
  readonly issuer: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * A real gateway with the embedded provider on, in front of the testkit's mock upstream, with
 * the accounts test double. `dataDir` (and so the SQLite store and keyring) can be shared to
 * start a second instance on the same database.
 */
export async function startIdentityGateway(
  options: {
    readonly accounts?: AccountsDouble;
    readonly dataDir?: string;
    readonly config?: Record<string, unknown>;
  } = {},
): Promise<IdentityGateway> {
  const mock = await startMockUpstream({});
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rampart-identity-'));
  const port = await freePort();
  const accounts =
    options.accounts ??
    new AccountsDouble().add({
      id: 'acct-alice',
      username: 'alice',
      password: 'correct horse battery staple',
      roles: ['member'],
      tenant: 'tenant-a',
    });
  const base = {
    dataDir,
    server: { port, shutdownGraceMs: 1000, drainDelayMs: 0 },
    log: { level: 'silent' },
    providers: {
      mock: {
        type: 'openai-compatible',
        baseUrl: `${mock.url}/v1`,
        apiKeyEnv: 'MOCK_KEY',
        maxRetries: 0,
      },
    },
    models: { chat: { provider: 'mock', model: 'upstream-chat' } },
    // Deny by default (authorize): the test accounts' role may chat.
    authz: { roles: { member: [{ endpoints: ['chat', 'models'], aliases: ['chat'] }] } },
    identity: {
      enabled: true,
      clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI, 'http://127.0.0.1/callback'] }],
    },
  };
  const config = validateConfig(deepMerge(base, options.config ?? {}));
  const gateway = await startGateway(config, {
    env: { MOCK_KEY: 'sk-test-identity' },
    logger: createLogger(config.log.level),
    processMetrics: false,
    accounts,
  });
  return {
    gateway,
    mock,
    accounts,
    issuer: config.server.publicUrl,
    dataDir,
    async close() {
      await gateway.close();
      await mock.close();
    },
  };
}

/** A cookie jar just big enough for the login flow: every cookie goes back on every request. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (pair === undefined || index < 0) continue;
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** The CSRF token of a login page (a value the server keeps and compares). */
export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (match?.[1] === undefined) throw new Error(`no csrf field in page: ${html.slice(0, 400)}`);
  return match[1];
}
