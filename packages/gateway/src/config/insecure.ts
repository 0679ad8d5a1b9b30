import { classifyHost, isLoopbackBind, isLoopbackHost } from '../http/address.js';
import { isMatchAll } from '../http/ip-allowlist.js';
import { identityProblems } from './identity-schema.js';
import type { ParsedConfig } from './schema.js';

/** A configuration problem: the dotted key it concerns and the sentence that says how to fix it. */
export interface ConfigProblem {
  readonly key: string;
  readonly message: string;
}

/**
 * Combinations that each pass the schema but together would expose the gateway unsafely.
 * Each is refused at start-up (fail closed) unless an explicit, logged opt-in exists.
 */
export function findInsecureCombinations(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { server } = config;

  const publicHttps = server.publicUrl?.startsWith('https://') ?? false;
  if (!isLoopbackBind(server.host) && !server.tls && !publicHttps && !server.allowInsecureHttp) {
    problems.push({
      key: 'server.host',
      message: `binding ${server.host}${nameNote(server.host)} serves tokens and prompts over plain HTTP. Fix: set server.tls.certFile/keyFile, or put a TLS proxy in front and set server.publicUrl to its https:// URL, or (never in production) set server.allowInsecureHttp: true`,
    });
  }
  if (config.auth.mode === 'none' && !isLoopbackBind(server.host) && !server.allowUnauthenticated) {
    // Without authentication, anyone who reaches the address uses the gateway (and its keys).
    problems.push({
      key: 'auth.mode',
      message: `auth.mode none on ${server.host}${nameNote(server.host)} would let anyone who reaches it use /v1 and the provider keys behind it. Fix: remove auth.mode: none (authentication is on by default, with the embedded provider or your issuers under auth.issuers), or bind 127.0.0.1 behind your own authenticating proxy, or (knowing every caller is anonymous) set server.allowUnauthenticated: true`,
    });
  }
  problems.push(...identityProblems(config));
  if (server.headersTimeoutMs > server.requestTimeoutMs) {
    problems.push({
      key: 'server.headersTimeoutMs',
      message: `${server.headersTimeoutMs} ms is longer than server.requestTimeoutMs (${server.requestTimeoutMs} ms), which already bounds the headers. Fix: lower server.headersTimeoutMs or raise server.requestTimeoutMs`,
    });
  }
  for (const entry of server.trustedProxies) {
    if (isMatchAll(entry)) {
      problems.push({
        key: 'server.trustedProxies',
        message: `${entry} trusts X-Forwarded-For from every address, so any client could forge its IP. Fix: list only your load balancers' addresses or subnets`,
      });
    }
  }
  for (const [name, provider] of Object.entries(config.providers)) {
    const url = new URL(provider.baseUrl);
    if (url.username !== '' || url.password !== '') {
      problems.push({
        key: `providers.${name}.baseUrl`,
        message:
          'credentials in the URL would be logged and sent in clear. Fix: remove them and use apiKeyEnv or apiKeyFile',
      });
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !provider.allowInsecureHttp) {
      problems.push({
        key: `providers.${name}.baseUrl`,
        message: `plain http:// to ${url.hostname}${nameNote(url.hostname)} would send the provider key and every prompt unencrypted. Fix: use https://, or set providers.${name}.allowInsecureHttp: true for a private network you trust`,
      });
    }
    if (provider.apiKeyEnv !== undefined && provider.apiKeyFile !== undefined) {
      problems.push({
        key: `providers.${name}`,
        message: 'both apiKeyEnv and apiKeyFile are set. Fix: keep exactly one source for the key',
      });
    }
  }
  for (const [alias, model] of Object.entries(config.models)) {
    const provider = config.providers[model.provider];
    if (provider === undefined) {
      problems.push({
        key: `models.${alias}.provider`,
        message: `names provider "${model.provider}", which is not configured. Fix: add providers.${model.provider} or use one of: ${Object.keys(config.providers).join(', ') || '(none)'}`,
      });
    } else if (provider.type === 'anthropic' && model.kind === 'embeddings') {
      problems.push({
        key: `models.${alias}.kind`,
        message:
          'provider type anthropic has no embeddings API. Fix: use an openai-compatible provider for embeddings',
      });
    }
  }
  if (Object.keys(config.providers).length > 0 && Object.keys(config.models).length === 0) {
    problems.push({
      key: 'models',
      message:
        'providers are configured but no model alias is. Fix: add models.<alias> with provider and model',
    });
  }
  return problems;
}

/** Says why a name that looks local is not trusted as such. */
function nameNote(host: string): string {
  return classifyHost(host) === 'name'
    ? ' (a hostname other than localhost, so not trusted as loopback whatever it resolves to)'
    : '';
}
