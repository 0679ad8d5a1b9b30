import { z } from 'zod';
import { parseHost } from '../http/address.js';
import { isCidrOrIp } from '../http/ip-allowlist.js';
import { accountsSchema } from './accounts-schema.js';
import { adminSchema } from './admin-schema.js';
import { authSchema } from './auth-schema.js';
import { authzSchema } from './authz-schema.js';
import { identitySchema } from './identity-schema.js';
import { meterSchema } from './meter-schema.js';
import { attestationSchema } from './attestation-schema.js';
import { resolveImplicitDefaults, type ParsedConfig } from './auth-defaults.js';
import './meta.js';
import type { modelSchema, providerSchema } from './provider-schema.js';
import { httpUrl, keysSchema, modelsSchema, providersSchema } from './provider-schema.js';
import { redisSchema } from './redis-schema.js';

/**
 * The configuration schema, and the one place each option is written down: its validation, its
 * default (`.default()`) and its description (`.meta({ description })`; `defaultText` where the
 * default is computed). docs/config.md is generated from its JSON Schema (`npm run docs:gen`),
 * and the "did you mean" of config errors reads the same JSON Schema. The provider, model and
 * key sections live in provider-schema.ts.
 *
 * Every object is strict: an unknown key is refused, never ignored, because a misspelt security
 * option silently falling back to its default is worse than a refusal. Cross-field rules that
 * make a combination insecure live in insecure.ts. Secrets are never options: a provider names
 * the environment variable or file that holds its key (`apiKeyEnv`, `apiKeyFile`).
 */
const MiB = 1024 * 1024;
const ms = (max: number) => z.number().int().min(1).max(max);
const cidr = z.string().refine(isCidrOrIp, { message: 'expected an IP address or CIDR range' });
const origin = z.string().refine(isOrigin, {
  message: 'expected an origin like https://app.example.com (scheme, host, optional port; no path)',
});

const serverSchema = z.strictObject({
  // Normalised to the address the socket binds, the same one insecure.ts classifies:
  // `[::1]` → `::1`, `0x7f.1` → `127.0.0.1`, `LOCALHOST` → `localhost`.
  host: z
    .string()
    .refine((value) => parseHost(value) !== undefined, {
      message:
        'expected an IP address or hostname on its own (no port: use server.port; no scheme or path)',
    })
    .overwrite((value) => parseHost(value)?.host ?? value)
    .default('127.0.0.1')
    .meta({
      description:
        'Address to bind: an IP address or hostname, no port. Loopback by default; binding elsewhere requires TLS (`server.tls`) or an `https://` `server.publicUrl` (TLS terminated by your proxy). Loopback means 127.0.0.0/8, `::1` (also IPv4-mapped) or the name `localhost`, nothing else: `0.0.0.0` and `::` listen on every interface, and any other name counts as non-loopback whatever it resolves to. Other notations are normalised as a URL would (`0x7f.1` and `127.1` bind 127.0.0.1, `[::1]` binds `::1`).',
    }),
  port: z
    .number()
    .int()
    .min(0)
    .max(65_535)
    .default(8787)
    .meta({ description: 'TCP port. Environment: `RAMPART_PORT`.' }),
  publicUrl: httpUrl.optional().meta({
    description:
      'The URL clients use to reach the gateway (the OIDC issuer and the URL DPoP proofs must name).',
    defaultText: '`http://<host>:<port>`',
  }),
  trustedProxies: z.array(cidr).default([]).meta({
    description:
      'IP addresses or CIDR ranges of reverse proxies allowed to set `X-Forwarded-For`; from anyone else the header is ignored. `0.0.0.0/0` is refused.',
  }),
  cors: z
    .strictObject({
      origins: z.array(origin).default([]).meta({
        description:
          'Web origins (`https://app.example.com`) allowed to call the API from a browser. Empty: browser requests carrying an `Origin` are refused. `*` is refused.',
      }),
      maxAgeSeconds: z
        .number()
        .int()
        .min(0)
        .max(86_400)
        .default(600)
        .meta({ description: 'How long a browser may cache a CORS preflight answer.' }),
    })
    .prefault({}),
  tls: z
    .strictObject({
      certFile: z
        .string()
        .min(1)
        .meta({ description: 'PEM certificate chain file for native TLS.', defaultText: 'unset' }),
      keyFile: z
        .string()
        .min(1)
        .meta({ description: 'PEM private key file for native TLS.', defaultText: 'unset' }),
    })
    .optional(),
  headersTimeoutMs: ms(600_000).default(10_000).meta({
    description:
      'Time a client has to send all request headers (408 `request.timeout` or a closed connection after it). Fires between the bound and the bound plus a quarter of the shorter of this and `server.requestTimeoutMs` (at least 100 ms, at most 30 s): with the defaults, between 10 and 12.5 s. At most `server.requestTimeoutMs`.',
  }),
  requestTimeoutMs: ms(3_600_000).default(30_000).meta({
    description:
      'Time a client has to send the whole request (not the response). Fires between the bound and the bound plus a quarter of the shorter of this and `server.headersTimeoutMs` (at least 100 ms, at most 30 s): with the defaults, between 30 and 32.5 s.',
  }),
  keepAliveTimeoutMs: ms(3_600_000).default(72_000).meta({
    description:
      'Idle keep-alive time; keep it above your load balancer idle timeout. Precise to a few milliseconds (a timer per connection).',
  }),
  drainDelayMs: z.number().int().min(0).max(600_000).default(5_000).meta({
    description:
      "On SIGTERM, how long the gateway keeps listening before it closes the listener: `/readyz` and new `/v1` requests answer 503 `server.shutting_down` while `/healthz` stays 200, so a load balancer that polls readiness takes the replica out of rotation before connections are refused. Set it to a little more than your load balancer's readiness interval times its failure threshold; 0 closes at once.",
  }),
  shutdownGraceMs: z.number().int().min(0).max(3_600_000).default(25_000).meta({
    description:
      'After `drainDelayMs`, how long in-flight requests and streams may finish before they are ended with `server.shutting_down`.',
  }),
  allowInsecureHttp: z.boolean().default(false).meta({
    description:
      'Explicit opt-in to serve plain HTTP on a non-loopback address with an `http://` public URL. Logged as a warning at every start.',
  }),
  allowUnauthenticated: z.boolean().default(false).meta({
    description:
      'Explicit opt-in to `auth.mode: none` on a non-loopback address. Without authentication such a gateway is an open relay for your provider keys, so it refuses to start without this; with authentication on (the default) it is not needed. Logged as a warning at every start.',
  }),
});

const limitsSchema = z.strictObject({
  maxChatBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * MiB)
    .default(28 * MiB)
    .meta({
      description:
        'Largest body accepted on `/v1/chat/completions` (413 `request.body_too_large` above, refused by its `Content-Length` before it is read, or as soon as a chunked body passes it). The main use is a mobile app sending a phone photo as a `data:` URL: a 12-megapixel JPEG makes a 3–5 MB body, and OpenAI accepts images up to 20 MB, which base64 turns into about 26.7 MiB; 28 MiB admits one such image plus the conversation. Lower it if your app sends no images or smaller ones: every byte up to the limit is read into memory and decoded before the request goes on.',
    }),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * MiB)
    .default(2 * MiB)
    .meta({
      description:
        'Largest body accepted on every other route (413 `request.body_too_large` above, refused before it is read like `limits.maxChatBodyBytes`). Embeddings requests carry text only, and 2 MiB holds hundreds of thousands of tokens of it, far beyond what one embeddings call accepts.',
    }),
  maxHeaderBytes: z
    .number()
    .int()
    .min(1024)
    .max(MiB)
    .default(16 * 1024)
    .meta({ description: 'Largest total size of request headers (431 above).' }),
  maxHeaderCount: z
    .number()
    .int()
    .min(8)
    .max(2000)
    .default(100)
    .meta({ description: 'Most request headers accepted (431 above).' }),
  maxJsonDepth: z
    .number()
    .int()
    .min(2)
    .max(256)
    .default(32)
    .meta({ description: 'Deepest nesting of arrays and objects accepted in a JSON body.' }),
  maxObjectKeys: z.number().int().min(16).max(1_000_000).default(1000).meta({
    description:
      "Most members in any one JSON object of a body, counted on the text before it is parsed (400 `request.invalid_parameter` above), so that a body of 150,000 keys costs a scan, not a parse, two walks and a validation. The largest objects real requests carry are a `logit_bias` map and a tool's JSON Schema `properties`, each at most a few hundred; arrays are not bounded by this (embeddings inputs are long), only by the body size.",
  }),
  maxMessages: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .meta({ description: 'Most messages in one chat request.' }),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .meta({ description: 'Most simultaneous client connections.' }),
});

const usageSchema = z.strictObject({
  flushIntervalMs: ms(60_000).default(1_000).meta({
    description:
      'Usage events (one per allowed request, never its content) wait in memory and are written in batches; this is the longest an event waits before its write starts. A crash (kill -9, out of memory, power loss) loses the events still in memory: as long as the database keeps up, at most about `flushIntervalMs` of traffic and never more than `batchSize` waiting events plus one batch being written — with the defaults, one second or 500 events (+500 in flight), whichever is less. While the database fails or falls behind, up to `usage.maxBuffered`. A graceful stop (SIGTERM) writes them all first. Lower this and `usage.batchSize` to narrow the window, at the cost of more, smaller writes.',
  }),
  batchSize: z.number().int().min(1).max(10_000).default(500).meta({
    description:
      'Most events per database write; as soon as this many wait they are written, without waiting for `usage.flushIntervalMs`. Together the two bound what a crash can lose.',
  }),
  maxBuffered: z.number().int().min(1).max(1_000_000).default(10_000).meta({
    description:
      'Most events held in memory while the database is slow or unreachable; beyond it the oldest are dropped and counted (`rampart_usage_events_dropped_total`). A crash during such an outage loses up to this many.',
  }),
});

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default('./.rampart').meta({
    description:
      'Directory for the embedded SQLite database (`rampart.db`) and generated keys (`keys/`, mode 0600). Environment: `RAMPART_DATA_DIR`.',
  }),
  server: serverSchema.prefault({}),
  limits: limitsSchema.prefault({}),
  auth: authSchema.prefault({}),
  accounts: accountsSchema.prefault({}),
  authz: authzSchema.prefault({}),
  identity: identitySchema.prefault({}),
  attestation: attestationSchema.prefault({}),
  meter: meterSchema.prefault({}),
  database: z
    .strictObject({
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (leave unset for SQLite)')
        .optional()
        .meta({
          description:
            '`postgres://…` for PostgreSQL (replicas). Unset: SQLite at `<dataDir>/rampart.db`. Put the password in the environment (`RAMPART_DATABASE__URL`), not the file.',
          defaultText: 'unset (SQLite)',
        }),
    })
    .prefault({}),
  redis: redisSchema.prefault({}),
  admin: adminSchema.prefault({}),
  keys: keysSchema,
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info')
        .meta({ description: 'pino level: fatal, error, warn, info, debug, trace or silent.' }),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .meta({ description: 'Serve Prometheus metrics at `/metrics`.' }),
      allow: z.array(cidr).default(['127.0.0.1/32', '::1/128']).meta({
        description: 'IP addresses or CIDR ranges that may read `/metrics` (others get 404).',
      }),
    })
    .prefault({}),
  usage: usageSchema.prefault({}),
  providers: providersSchema,
  models: modelsSchema,
});

export type ConfigInput = z.input<typeof configSchema>;
/** What the schema alone produces; `ParsedConfig` (auth-defaults.ts) adds the derived defaults. */
export type SchemaOutput = z.output<typeof configSchema>;
export type { ParsedConfig } from './auth-defaults.js';
export type ProviderConfig = z.output<typeof providerSchema>;
export type ModelConfig = z.output<typeof modelSchema>;

/** Every default, as the schema applies them to an empty file (no providers, no models). */
export const DEFAULTS: ParsedConfig = deepFreeze(resolveImplicitDefaults(configSchema.parse({})));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

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
