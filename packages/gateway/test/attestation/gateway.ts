import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { webcrypto } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  createCredentials,
  dpopProof,
  issuerConfigOf,
  startMockIssuer,
  startMockUpstream,
  type CredentialHeaders,
  type Credentials,
  type DpopKey,
  type MockIssuer,
  type MockUpstream,
} from '@rampart/testkit';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { validateConfig } from '../../src/config/index.js';
import { deepMerge } from '../../src/config/env.js';
import { createLogger } from '../../src/logging.js';
import { startGateway, type RunningGateway, type StartOptions } from '../../src/server.js';

/**
 * A real gateway with an `attestation` section, for the end-to-end tests of the attest stage
 * and `/attest/v1`: like the HTTP harness (mock issuer, mock upstream, `server.publicUrl`
 * fixed), plus what the harness cannot pass — `StartOptions.attestation` (the testkit CAs'
 * roots, a fixed revocation list, the attestation clock) and the environment holding Play
 * Integrity keys. Credentials are made per device (`device()`), since attestation is about
 * which device key calls.
 */

export const PUBLIC_URL = 'https://rampart.test';
export const ROLE = 'tester';

/** The attestation clock the tests freeze: 2030-01-01T00:00:00Z (not today's date). */
export const FROZEN_NOW = Date.UTC(2030, 0, 1);

export interface AttestedGatewayOptions {
  /** The `attestation` section. */
  readonly attestation: Record<string, unknown>;
  /** More config, merged over the base (e.g. `redis`). */
  readonly config?: Record<string, unknown>;
  /** `StartOptions.attestation` without `now` (the clock is `clock`). */
  readonly start?: Omit<NonNullable<StartOptions['attestation']>, 'now'>;
  readonly env?: Record<string, string>;
  /** An issuer shared by several gateways (two replicas must trust the same tokens). */
  readonly issuer?: MockIssuer;
}

export interface Clock {
  now: number;
}

export interface AttestedGateway {
  readonly gateway: RunningGateway;
  readonly mock: MockUpstream;
  readonly issuer: MockIssuer;
  readonly url: string;
  /** The attestation clock; tests move `clock.now`. */
  readonly clock: Clock;
  /** What the gateway logged (level warn and above). */
  logs(): string;
  close(): Promise<void>;
}

export async function startAttestedGateway(
  options: AttestedGatewayOptions,
): Promise<AttestedGateway> {
  const mock = await startMockUpstream({});
  const issuer = options.issuer ?? (await startMockIssuer());
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-attest-'));
  const fast = {
    apiKeyEnv: 'MOCK_KEY',
    maxRetries: 0,
    headersTimeoutMs: 1500,
    bodyTimeoutMs: 1500,
  };
  const base = {
    dataDir,
    server: { port: 0, shutdownGraceMs: 1000, drainDelayMs: 0, publicUrl: PUBLIC_URL },
    auth: { issuers: [issuerConfigOf(issuer)] },
    authz: {
      roles: {
        [ROLE]: [
          {
            endpoints: ['chat', 'embeddings', 'models'],
            aliases: ['*'],
            features: ['stream', 'tools', 'images', 'audio', 'logprobs'],
          },
        ],
      },
    },
    log: { level: 'warn' },
    providers: { mock: { type: 'openai-compatible', baseUrl: `${mock.url}/v1`, ...fast } },
    models: {
      chat: { provider: 'mock', model: 'upstream-chat' },
      premium: { provider: 'mock', model: 'upstream-premium' },
      cheap: { provider: 'mock', model: 'upstream-cheap' },
      embed: { provider: 'mock', model: 'upstream-embed', kind: 'embeddings' },
    },
    attestation: options.attestation,
  };
  const clock: Clock = { now: FROZEN_NOW };
  let logs = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs += chunk.toString();
      callback();
    },
  });
  let gateway: RunningGateway;
  try {
    const config = validateConfig(deepMerge(base, options.config ?? {}));
    gateway = await startGateway(config, {
      env: { MOCK_KEY: 'sk-test-attest', ...options.env },
      logger: createLogger('warn', sink),
      processMetrics: false,
      attestation: { ...options.start, now: () => clock.now },
    });
  } catch (error) {
    // A start refused (the config tests want that): nothing is left listening.
    await mock.close();
    if (options.issuer === undefined) await issuer.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    gateway,
    mock,
    issuer,
    url: gateway.url,
    clock,
    logs: () => logs,
    async close() {
      await gateway.close();
      await mock.close();
      if (options.issuer === undefined) await issuer.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A device of a user: its DPoP key and a token bound to it. */
export interface Device {
  readonly jkt: string;
  headers(method: string, path: string): Promise<CredentialHeaders>;
}

export async function device(
  issuer: MockIssuer,
  subject = 'user-1',
  tenant?: string,
): Promise<Device & { bearer(): Promise<string> }> {
  const credentials: Credentials = await createCredentials({
    issuer,
    subject,
    roles: [ROLE],
    publicUrl: PUBLIC_URL,
    ...(tenant === undefined ? {} : { tenant }),
  });
  return {
    jkt: credentials.key.jkt,
    headers: (method, path) => credentials.headers(method, path),
    bearer: () => credentials.bearer(),
  };
}

/**
 * A device whose DPoP key is `keys` (an Android keystore key minted by the testkit CA): the
 * token is bound to it and every proof is signed with it.
 */
export async function deviceWithKey(
  issuer: MockIssuer,
  keys: webcrypto.CryptoKeyPair,
  subject = 'user-1',
): Promise<Device> {
  const publicJwk = await exportJWK(keys.publicKey);
  const key: DpopKey = {
    privateKey: keys.privateKey,
    publicJwk,
    jkt: await calculateJwkThumbprint(publicJwk),
    alg: 'ES256',
  };
  const token = await issuer.accessToken({ sub: subject, roles: [ROLE] }, { dpop: key });
  return {
    jkt: key.jkt,
    async headers(method, path) {
      const proof = await dpopProof(key, {
        htm: method,
        htu: `${PUBLIC_URL}${path}`,
        accessToken: token,
      });
      return { authorization: `DPoP ${token}`, dpop: proof };
    },
  };
}

/** A JSON request from `device` to the gateway; `headers` win. */
export async function send(
  gateway: { readonly url: string },
  from: Device,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const auth = await from.headers(method, path);
  return fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...auth,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** `POST /attest/v1/challenges` as `from`; the challenge, or throws with the problem. */
export async function challengeFor(
  gateway: { readonly url: string },
  from: Device,
): Promise<string> {
  const response = await send(gateway, from, 'POST', '/attest/v1/challenges');
  const body = (await response.json()) as { challenge?: string; code?: string };
  if (response.status !== 201 || body.challenge === undefined) {
    throw new Error(`challenge refused: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.challenge;
}

/** The status and problem code (or 'ok') of a response, its body consumed. */
export async function outcome(response: Response): Promise<string> {
  const text = await response.text();
  if (response.status < 400) return `${response.status}`;
  let code = '(no code)';
  try {
    code = (JSON.parse(text) as { code?: string }).code ?? code;
  } catch {
    code = '(not json)';
  }
  return `${response.status} ${code}`;
}

export const chatBody = (model = 'chat') => ({
  model,
  messages: [{ role: 'user', content: 'Hello' }],
});
