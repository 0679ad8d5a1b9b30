import { readFileSync, statSync } from 'node:fs';
import { gatewayError } from '../errors.js';
import type { ProviderSettings } from '../providers/types.js';
import { DEFAULTS } from './defaults.js';
import type { ProviderConfig } from './schema.js';

const MAX_SECRET_BYTES = 64 * 1024;

/**
 * Turns a provider's configuration into adapter settings, reading its key from the named
 * environment variable or file. Errors name the variable or file, never any part of the value.
 */
export function resolveProviderSettings(
  name: string,
  config: ProviderConfig,
  env: NodeJS.ProcessEnv = process.env,
): ProviderSettings {
  const anthropic = config.type === 'anthropic';
  const headers: Record<string, string> = anthropic
    ? { 'anthropic-version': DEFAULTS.anthropicVersion, ...config.headers }
    : { ...config.headers };
  return {
    name,
    type: config.type,
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    apiKey: readKey(name, config, env),
    authHeader: config.authHeader ?? (anthropic ? 'x-api-key' : DEFAULTS.provider.authHeader),
    query: { ...config.query },
    headers,
    connectTimeoutMs: config.connectTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxRetries: config.maxRetries,
    maxResponseBytes: config.maxResponseBytes,
  };
}

function readKey(name: string, config: ProviderConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (config.apiKeyEnv !== undefined) {
    const value = env[config.apiKeyEnv]?.trim();
    if (value === undefined || value === '') {
      throw gatewayError(
        'config.secret_missing',
        `providers.${name}.apiKeyEnv: environment variable ${config.apiKeyEnv} is unset or empty. Fix: export it, or use apiKeyFile`,
      );
    }
    return value;
  }
  if (config.apiKeyFile !== undefined) {
    const file = config.apiKeyFile;
    try {
      if (statSync(file).size > MAX_SECRET_BYTES) throw new Error('too large');
      const value = readFileSync(file, 'utf8').trim();
      if (value === '') throw new Error('empty');
      return value;
    } catch (error) {
      const reason =
        error instanceof Error && 'code' in error ? String(error.code) : 'empty or too large';
      throw gatewayError(
        'config.secret_missing',
        `providers.${name}.apiKeyFile: cannot use ${file} (${reason}). Fix: point it at a readable file holding only the key`,
      );
    }
  }
  return undefined;
}
