import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { parseHost } from '../http/address.js';
import { isCidrOrIp } from '../http/ip-allowlist.js';
import { KEY_NAMES, type KeyName } from '../keys/specs.js';
import { EXTRA_PARAMETER_NAMES } from '../pipeline/parse/extensions.js';

/**
 * The configuration schema. Every object is strict: an unknown key is refused, never ignored,
 * because a misspelt security option silently falling back to its default is worse than a
 * refusal. Cross-field rules that make a combination insecure live in insecure.ts.
 */
const P = DEFAULTS.provider;
const ms = (max: number) => z.number().int().min(1).max(max);
const cidr = z.string().refine(isCidrOrIp, { message: 'expected an IP address or CIDR range' });
const origin = z.string().refine(isOrigin, {
  message: 'expected an origin like https://app.example.com (scheme, host, optional port; no path)',
});
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

const providerSchema = z.strictObject({
  type: z.enum(['openai-compatible', 'anthropic']),
  baseUrl: httpUrl,
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
    .optional(),
  apiKeyFile: z.string().min(1).optional(),
  authHeader: z.enum(['bearer', 'api-key', 'x-api-key']).optional(),
  query: z.record(z.string(), z.string()).default({}),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name'), z.string())
    .default({}),
  connectTimeoutMs: ms(120_000).default(P.connectTimeoutMs),
  headersTimeoutMs: ms(900_000).default(P.headersTimeoutMs),
  bodyTimeoutMs: ms(900_000).default(P.bodyTimeoutMs),
  maxRetries: z.number().int().min(0).max(5).default(P.maxRetries),
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(P.maxResponseBytes),
  allowInsecureHttp: z.boolean().default(P.allowInsecureHttp),
  optional: z.boolean().default(P.optional),
  extraParameters: z.array(z.enum(EXTRA_PARAMETER_NAMES)).default(() => [...P.extraParameters]),
});

/** Where a shared key comes from (replicas); a key with no source is generated in dataDir. */
const keySourceSchema = z
  .strictObject({
    file: z.string().min(1).optional(),
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
      .optional(),
  })
  .refine((source) => (source.file === undefined) !== (source.env === undefined), {
    message:
      'names both a file and an env variable, or neither. Fix: keep exactly one of `file:` or `env:`',
  });

const keysSchema = z.strictObject(
  Object.fromEntries(KEY_NAMES.map((name) => [name, keySourceSchema.optional()])) as Record<
    KeyName,
    z.ZodOptional<typeof keySourceSchema>
  >,
);

const modelSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1).max(256),
  kind: z.enum(['chat', 'embeddings']).default('chat'),
});

const S = DEFAULTS.server;
const L = DEFAULTS.limits;
const U = DEFAULTS.usage;

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default(DEFAULTS.dataDir),
  server: z
    .strictObject({
      // Normalised to the address the socket binds, the same one insecure.ts classifies:
      // `[::1]` → `::1`, `0x7f.1` → `127.0.0.1`, `LOCALHOST` → `localhost`.
      host: z
        .string()
        .refine((value) => parseHost(value) !== undefined, {
          message:
            'expected an IP address or hostname on its own (no port: use server.port; no scheme or path)',
        })
        .overwrite((value) => parseHost(value)?.host ?? value)
        .default(S.host),
      port: z.number().int().min(0).max(65_535).default(S.port),
      publicUrl: httpUrl.optional(),
      trustedProxies: z.array(cidr).default(S.trustedProxies),
      cors: z
        .strictObject({
          origins: z.array(origin).default(S.cors.origins),
          maxAgeSeconds: z.number().int().min(0).max(86_400).default(S.cors.maxAgeSeconds),
        })
        .prefault({}),
      tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
      headersTimeoutMs: ms(600_000).default(S.headersTimeoutMs),
      requestTimeoutMs: ms(3_600_000).default(S.requestTimeoutMs),
      keepAliveTimeoutMs: ms(3_600_000).default(S.keepAliveTimeoutMs),
      drainDelayMs: z.number().int().min(0).max(600_000).default(S.drainDelayMs),
      shutdownGraceMs: z.number().int().min(0).max(3_600_000).default(S.shutdownGraceMs),
      allowInsecureHttp: z.boolean().default(S.allowInsecureHttp),
      allowUnauthenticated: z.boolean().default(S.allowUnauthenticated),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxBodyBytes: z
        .number()
        .int()
        .min(1024)
        .max(256 * 1024 * 1024)
        .default(L.maxBodyBytes),
      maxHeaderBytes: z
        .number()
        .int()
        .min(1024)
        .max(1024 * 1024)
        .default(L.maxHeaderBytes),
      maxHeaderCount: z.number().int().min(8).max(2000).default(L.maxHeaderCount),
      maxJsonDepth: z.number().int().min(2).max(256).default(L.maxJsonDepth),
      maxMessages: z.number().int().min(1).max(100_000).default(L.maxMessages),
      maxConnections: z.number().int().min(1).max(1_000_000).default(L.maxConnections),
    })
    .prefault({}),
  database: z
    .strictObject({
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (leave unset for SQLite)')
        .optional(),
    })
    .prefault({}),
  keys: keysSchema.prefault({}),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default(DEFAULTS.log.level),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(DEFAULTS.metrics.enabled),
      allow: z.array(cidr).default(DEFAULTS.metrics.allow),
    })
    .prefault({}),
  usage: z
    .strictObject({
      flushIntervalMs: ms(60_000).default(U.flushIntervalMs),
      batchSize: z.number().int().min(1).max(10_000).default(U.batchSize),
      maxBuffered: z.number().int().min(1).max(1_000_000).default(U.maxBuffered),
    })
    .prefault({}),
  providers: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a lowercase name'),
      providerSchema,
    )
    .default({}),
  models: z
    .record(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'expected a model alias'),
      modelSchema,
    )
    .default({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type ModelConfig = z.output<typeof modelSchema>;

function isOrigin(value: string): boolean {
  if (value === '*') return false;
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      url.origin === value.replace(/\/$/, '')
    );
  } catch {
    return false;
  }
}
