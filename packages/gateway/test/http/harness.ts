import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  createCredentials,
  issuerConfigOf,
  MOCK_FAULTS,
  startMockIssuer,
  startMockUpstream,
  type CredentialHeaders,
  type Credentials,
  type CredentialsOptions,
  type MockIssuer,
  type MockUpstream,
  type MockUpstreamOptions,
} from '@rampart/testkit';
import { validateConfig } from '../../src/config/index.js';
import { deepMerge } from '../../src/config/env.js';
import { createLogger } from '../../src/logging.js';
import { startGateway, type RunningGateway } from '../../src/server.js';

/** A synthetic provider key: tests assert it never shows up in a response or a log line. */
/** The role the harness's credentials carry; `authz` grants it everything (ALLOW_ALL). */
export const TEST_ROLE = 'tester';

/** One `authz` permission granting every endpoint, alias and feature. */
export const ALLOW_ALL = {
  endpoints: ['chat', 'embeddings', 'models'],
  aliases: ['*'],
  features: ['stream', 'tools', 'images', 'audio', 'logprobs'],
};

export const PROVIDER_KEY = 'sk-test-FAKEFAKEFAKEFAKEFAKEFAKE0123456789';

/** The public URL the harness gateway is configured with: DPoP proofs name it, not the port. */
export const PUBLIC_URL = 'https://rampart.test';

export interface HarnessOptions {
  readonly config?: Record<string, unknown>;
  readonly mock?: MockUpstreamOptions;
  /**
   * No issuer, `/v1` anonymous. Only for a test whose subject is the unauthenticated
   * configuration itself; each use says why in a comment.
   */
  readonly anonymous?: true;
  /**
   * A mock issuer shared by the harnesses of one file, started and closed by the file (its
   * keys are the slow part of a start); default one per harness, closed with it.
   */
  readonly issuer?: MockIssuer;
  /** Who the credentials are (subject, roles, tenant, acr, amr, claims). */
  readonly identity?: Omit<CredentialsOptions, 'publicUrl' | 'issuer'>;
  /**
   * `server.publicUrl`; default `PUBLIC_URL`. `false` leaves it unset, so that the gateway
   * derives it from its own address (and the credentials follow what it derived).
   */
  readonly publicUrl?: string | false;
}

export interface Harness {
  readonly gateway: RunningGateway;
  readonly mock: MockUpstream;
  /** Where the gateway listens (`http://127.0.0.1:PORT`). */
  readonly url: string;
  /** The credentials of this harness's user; undefined when anonymous. */
  readonly credentials: Credentials | undefined;
  /** Headers for one authenticated request: `{ authorization: 'DPoP …', dpop: <proof> }`. */
  auth(method: string, path: string): Promise<CredentialHeaders>;
  /** `Bearer <token>` bound to no key, for requests framed by hand on a raw socket. */
  bearer(): Promise<string>;
  /** POST of JSON to `path` with credentials (unless anonymous); `headers` win. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** fetch of `path` with credentials (unless anonymous); headers in `init` win. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Everything the gateway logged so far. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * A real gateway on a loopback port in front of the testkit's mock upstream, with model aliases
 * for each provider type and one alias per injectable fault (`fault-http-500` …). Authentication
 * is on: a mock issuer is listed under `auth.issuers` and every `/v1` request needs its token
 * (`auth`, `post`, `fetch` add one, with a DPoP proof; the token is minted once per harness).
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const mock = await startMockUpstream(options.mock ?? {});
  const ownIssuer = !options.anonymous && options.issuer === undefined;
  const issuer = options.anonymous ? undefined : (options.issuer ?? (await startMockIssuer()));
  const publicUrl = options.publicUrl ?? PUBLIC_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-http-'));
  const fast = {
    apiKeyEnv: 'MOCK_KEY',
    maxRetries: 0,
    headersTimeoutMs: 1500,
    bodyTimeoutMs: 1500,
  };
  const faultModels = Object.fromEntries(
    MOCK_FAULTS.map((fault) => [`fault-${fault}`, { provider: 'mock', model: `fault:${fault}` }]),
  );
  const base = {
    dataDir,
    server: {
      port: 0,
      shutdownGraceMs: 2000,
      drainDelayMs: 0,
      ...(publicUrl === false ? {} : { publicUrl }),
    },
    ...(issuer === undefined
      ? { auth: { mode: 'none' } }
      : {
          auth: { issuers: [issuerConfigOf(issuer, options.identity?.tokenAlgorithm)] },
          // Authorization denies by default; the harness's user may do everything /v1 offers.
          authz: { roles: { [TEST_ROLE]: [ALLOW_ALL] } },
        }),
    log: { level: 'debug' },
    providers: {
      mock: { type: 'openai-compatible', baseUrl: `${mock.url}/v1`, ...fast },
      claude: { type: 'anthropic', baseUrl: `${mock.url}/v1`, ...fast },
    },
    models: {
      chat: { provider: 'mock', model: 'upstream-chat' },
      embed: { provider: 'mock', model: 'upstream-embed', kind: 'embeddings' },
      claude: { provider: 'claude', model: 'claude-upstream' },
      ...faultModels,
    },
  };
  const config = validateConfig(deepMerge(base, options.config ?? {}));
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      captured += chunk.toString();
      callback();
    },
  });
  const gateway = await startGateway(config, {
    env: { MOCK_KEY: PROVIDER_KEY },
    logger: createLogger(config.log.level, sink),
    processMetrics: false,
  });
  const credentials =
    issuer === undefined
      ? undefined
      : await createCredentials({
          roles: [TEST_ROLE],
          ...options.identity,
          issuer,
          publicUrl: gateway.config.server.publicUrl,
        });
  const auth = (method: string, path: string): Promise<CredentialHeaders> => {
    if (credentials === undefined) throw new Error('an anonymous harness has no credentials');
    return credentials.headers(method, path);
  };
  const fetchPath = async (path: string, init: RequestInit = {}) => {
    const added =
      credentials === undefined ? {} : await credentials.headers(init.method ?? 'GET', path);
    const headers = new Headers(added);
    new Headers(init.headers).forEach((value, name) => headers.set(name, value));
    return fetch(`${gateway.url}${path}`, { ...init, headers });
  };
  return {
    gateway,
    mock,
    url: gateway.url,
    credentials,
    auth,
    async bearer() {
      if (credentials === undefined) throw new Error('an anonymous harness has no credentials');
      return credentials.bearer();
    },
    fetch: fetchPath,
    post: (path, body, headers = {}) =>
      fetchPath(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    logs: () => captured,
    async close() {
      await gateway.close();
      await mock.close();
      if (ownIssuer) await issuer?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A POST of JSON without credentials (what an unauthenticated client sends). */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export const hello = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Hello' }],
  ...extra,
});

/** Reads an SSE body into events as they arrive. */
export async function readSse(
  response: Response,
): Promise<Array<{ event: string | undefined; data: string }>> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      return { event, data: data.join('\n') };
    });
}
