import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import type { RampartError } from '@rampart/core';
import { gatewayError, type GatewayErrorCode } from '../errors.js';
import { checkKeySources, type KeySources } from '../keys/index.js';
import type { ProviderSettings } from '../providers/types.js';
import { ANTHROPIC_VERSION } from './provider-schema.js';
import type { ConfigProblem } from './insecure.js';
import type { ModelConfig, ParsedConfig, ProviderConfig } from './schema.js';

const MAX_SECRET_BYTES = 64 * 1024;

/** A secret that cannot be used; `code` is what the component that reads it would throw. */
export interface SecretProblem extends ConfigProblem {
  readonly code: GatewayErrorCode;
}

/** An `optional: true` provider whose key is missing: left out, with the aliases it served. */
export interface SkippedProvider {
  readonly name: string;
  readonly problem: SecretProblem;
  readonly models: readonly string[];
}

export interface ResolvedSecrets {
  /** Providers that will be served, their keys read. */
  readonly providers: ReadonlyMap<string, ProviderSettings>;
  /** Model aliases that will be served: those of the providers above. */
  readonly models: Readonly<Record<string, ModelConfig>>;
  readonly skipped: readonly SkippedProvider[];
  /** Non-empty: the gateway must not start (see secretsError). */
  readonly problems: readonly SecretProblem[];
}

/**
 * Reads every secret the configuration names — provider keys, key sources (`keys.<name>`), the
 * TLS key pair — without opening anything else, so that `serve` can refuse before the store is
 * opened or migrated, and `config check` refuses exactly what `serve` would. A provider marked
 * `optional` whose key is missing is left out (with its model aliases) instead of refused.
 */
export async function resolveSecrets(
  config: Pick<ParsedConfig, 'providers' | 'models' | 'keys' | 'server'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedSecrets> {
  const problems: SecretProblem[] = [];
  const skipped: SkippedProvider[] = [];
  const providers = new Map<string, ProviderSettings>();
  for (const [name, provider] of Object.entries(config.providers)) {
    const key = readKey(name, provider, env);
    if ('value' in key) {
      providers.set(name, settings(name, provider, key.value));
    } else if (provider.optional) {
      const models = Object.keys(config.models).filter(
        (alias) => config.models[alias]?.provider === name,
      );
      skipped.push({ name, problem: key, models });
    } else {
      problems.push(key);
    }
  }
  if (providers.size === 0 && skipped.length > 0 && problems.length === 0) {
    problems.push({
      key: 'providers',
      code: 'config.secret_missing',
      message: `every provider is optional and none has its key (${skipped.map((s) => s.name).join(', ')}), so there is nothing to serve. Fix: provide at least one provider's key`,
    });
  }
  for (const found of await checkKeySources(keySources(config.keys), env)) {
    problems.push({ key: found.key, code: codeOf(found.error), message: found.error.message });
  }
  const { tls } = config.server;
  if (tls !== undefined) {
    for (const [option, file] of [
      ['certFile', tls.certFile],
      ['keyFile', tls.keyFile],
    ] as const) {
      const reason = unreadable(file);
      if (reason !== undefined) {
        problems.push({
          key: `server.tls.${option}`,
          code: 'config.secret_missing',
          message: `cannot read ${file} (${reason}). Fix: point it at a readable PEM file`,
        });
      }
    }
  }
  const served = new Set(providers.keys());
  const models = Object.fromEntries(
    Object.entries(config.models).filter(([, model]) => served.has(model.provider)),
  );
  return { providers, models, skipped, problems };
}

/** The one error a start-up with unusable secrets fails with, listing every problem. */
export function secretsError(problems: readonly SecretProblem[]): RampartError {
  const lines = problems.map((p) => `  ${p.key}: ${p.message}`).join('\n');
  return gatewayError('config.secret_missing', `secrets not available:\n${lines}`, {
    extensions: { problems },
  });
}

/** The sentence a skipped optional provider is reported with (log line, config check). */
export function describeSkipped(skipped: SkippedProvider): string {
  const aliases = skipped.models.length > 0 ? skipped.models.join(', ') : '(none)';
  return `optional provider ${skipped.name} left out, with its model aliases ${aliases}: ${skipped.problem.key}: ${skipped.problem.message}`;
}

/**
 * Turns a provider's configuration into adapter settings, reading its key from the named
 * environment variable or file. Errors name the variable or file, never any part of the value.
 */
export function resolveProviderSettings(
  name: string,
  config: ProviderConfig,
  env: NodeJS.ProcessEnv = process.env,
): ProviderSettings {
  const key = readKey(name, config, env);
  if (!('value' in key)) throw gatewayError(key.code, `${key.key}: ${key.message}`);
  return settings(name, config, key.value);
}

function settings(
  name: string,
  config: ProviderConfig,
  apiKey: string | undefined,
): ProviderSettings {
  const anthropic = config.type === 'anthropic';
  const headers: Record<string, string> = anthropic
    ? { 'anthropic-version': ANTHROPIC_VERSION, ...config.headers }
    : { ...config.headers };
  return {
    name,
    type: config.type,
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    apiKey,
    // The computed default that `authHeader`'s description states (provider-schema.ts).
    authHeader: config.authHeader ?? (anthropic ? 'x-api-key' : 'bearer'),
    query: { ...config.query },
    headers,
    connectTimeoutMs: config.connectTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxRetries: config.maxRetries,
    maxResponseBytes: config.maxResponseBytes,
    extraParameters: config.extraParameters,
    capabilities: { ...config.capabilities },
  };
}

function readKey(
  name: string,
  config: ProviderConfig,
  env: NodeJS.ProcessEnv,
): { readonly value: string | undefined } | SecretProblem {
  if (config.apiKeyEnv !== undefined) {
    const value = env[config.apiKeyEnv]?.trim();
    if (value === undefined || value === '') {
      return {
        key: `providers.${name}.apiKeyEnv`,
        code: 'config.secret_missing',
        message: `environment variable ${config.apiKeyEnv} is unset or empty. Fix: export it, or use apiKeyFile${config.optional ? '' : `, or set providers.${name}.optional: true to start without this provider`}`,
      };
    }
    return { value };
  }
  if (config.apiKeyFile !== undefined) {
    const file = config.apiKeyFile;
    try {
      if (statSync(file).size > MAX_SECRET_BYTES) throw new Error('too large');
      const value = readFileSync(file, 'utf8').trim();
      if (value === '') throw new Error('empty');
      return { value };
    } catch (error) {
      const reason =
        error instanceof Error && 'code' in error ? String(error.code) : 'empty or too large';
      return {
        key: `providers.${name}.apiKeyFile`,
        code: 'config.secret_missing',
        message: `cannot use ${file} (${reason}). Fix: point it at a readable file holding only the key${config.optional ? '' : `, or set providers.${name}.optional: true to start without this provider`}`,
      };
    }
  }
  return { value: undefined };
}

/** The configured key sources (`keys.<name>.file|env`), as the keyring reads them. */
export function keySources(keys: ParsedConfig['keys']): KeySources {
  const sources: Record<string, { file?: string; env?: string }> = {};
  for (const [name, source] of Object.entries(keys)) {
    if (source === undefined) continue;
    sources[name] =
      source.file !== undefined ? { file: source.file } : { env: source.env as string };
  }
  return sources;
}

function codeOf(error: RampartError): GatewayErrorCode {
  return error.code as GatewayErrorCode;
}

function unreadable(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return fstatSync(fd).isFile() ? undefined : 'not a regular file';
  } catch (error) {
    return error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
