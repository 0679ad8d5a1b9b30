import type { ExtraParameterName } from '../pipeline/parse/extensions.js';

/**
 * The one documented source of every configuration option: its default and what it means.
 * docs/config.md is generated from this file (`npm run docs:gen`), and schema.ts takes its
 * defaults from here, so the two can never disagree.
 *
 * Secrets are never options: a provider names the environment variable or file that holds its
 * key (`apiKeyEnv`, `apiKeyFile`).
 */

export interface OptionDoc {
  readonly doc: string;
  /** Shown in docs when the default is computed or absent. */
  readonly defaultText?: string;
}

const MiB = 1024 * 1024;

export const DEFAULTS = {
  dataDir: './.rampart',
  server: {
    host: '127.0.0.1',
    port: 8787,
    trustedProxies: [] as string[],
    cors: { origins: [] as string[], maxAgeSeconds: 600 },
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 72_000,
    drainDelayMs: 5_000,
    shutdownGraceMs: 25_000,
    allowInsecureHttp: false,
    allowUnauthenticated: false,
  },
  limits: {
    maxBodyBytes: 2 * MiB,
    maxHeaderBytes: 16 * 1024,
    maxHeaderCount: 100,
    maxJsonDepth: 32,
    maxMessages: 1000,
    maxConnections: 10_000,
  },
  database: {},
  log: { level: 'info' as 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' },
  metrics: { enabled: true, allow: ['127.0.0.1/32', '::1/128'] as string[] },
  usage: { flushIntervalMs: 1_000, batchSize: 500, maxBuffered: 10_000 },
  provider: {
    optional: false,
    authHeader: 'bearer' as 'bearer' | 'api-key' | 'x-api-key',
    connectTimeoutMs: 5_000,
    headersTimeoutMs: 60_000,
    bodyTimeoutMs: 60_000,
    maxRetries: 1,
    maxResponseBytes: 16 * MiB,
    allowInsecureHttp: false,
    extraParameters: [] as ExtraParameterName[],
  },
  anthropicVersion: '2023-06-01',
};

/** Documentation of every option, by dotted path; a test checks it covers the schema exactly. */
export const OPTION_DOCS: Readonly<Record<string, OptionDoc>> = {
  dataDir: {
    doc: 'Directory for the embedded SQLite database (`rampart.db`) and generated keys (`keys/`, mode 0600). Environment: `RAMPART_DATA_DIR`.',
  },
  'server.host': {
    doc: 'Address to bind: an IP address or hostname, no port. Loopback by default; binding elsewhere requires TLS (`server.tls`) or an `https://` `server.publicUrl` (TLS terminated by your proxy). Loopback means 127.0.0.0/8, `::1` (also IPv4-mapped) or the name `localhost`, nothing else: `0.0.0.0` and `::` listen on every interface, and any other name counts as non-loopback whatever it resolves to. Other notations are normalised as a URL would (`0x7f.1` and `127.1` bind 127.0.0.1, `[::1]` binds `::1`).',
  },
  'server.port': { doc: 'TCP port. Environment: `RAMPART_PORT`.' },
  'server.publicUrl': {
    doc: 'The URL clients use to reach the gateway (the OIDC issuer and the URL DPoP proofs must name).',
    defaultText: '`http://<host>:<port>`',
  },
  'server.trustedProxies': {
    doc: 'IP addresses or CIDR ranges of reverse proxies allowed to set `X-Forwarded-For`; from anyone else the header is ignored. `0.0.0.0/0` is refused.',
  },
  'server.cors.origins': {
    doc: 'Web origins (`https://app.example.com`) allowed to call the API from a browser. Empty: browser requests carrying an `Origin` are refused. `*` is refused.',
  },
  'server.cors.maxAgeSeconds': { doc: 'How long a browser may cache a CORS preflight answer.' },
  'server.tls.certFile': {
    doc: 'PEM certificate chain file for native TLS.',
    defaultText: 'unset',
  },
  'server.tls.keyFile': { doc: 'PEM private key file for native TLS.', defaultText: 'unset' },
  'server.headersTimeoutMs': {
    doc: 'Time a client has to send all request headers (408 `request.timeout` or a closed connection after it). Fires between the bound and the bound plus a quarter of the shorter of this and `server.requestTimeoutMs` (at least 100 ms, at most 30 s): with the defaults, between 10 and 12.5 s. At most `server.requestTimeoutMs`.',
  },
  'server.requestTimeoutMs': {
    doc: 'Time a client has to send the whole request (not the response). Fires between the bound and the bound plus a quarter of the shorter of this and `server.headersTimeoutMs` (at least 100 ms, at most 30 s): with the defaults, between 30 and 32.5 s.',
  },
  'server.keepAliveTimeoutMs': {
    doc: 'Idle keep-alive time; keep it above your load balancer idle timeout. Precise to a few milliseconds (a timer per connection).',
  },
  'server.drainDelayMs': {
    doc: "On SIGTERM, how long the gateway keeps listening before it closes the listener: `/readyz` and new `/v1` requests answer 503 `server.shutting_down` while `/healthz` stays 200, so a load balancer that polls readiness takes the replica out of rotation before connections are refused. Set it to a little more than your load balancer's readiness interval times its failure threshold; 0 closes at once.",
  },
  'server.shutdownGraceMs': {
    doc: 'After `drainDelayMs`, how long in-flight requests and streams may finish before they are ended with `server.shutting_down`.',
  },
  'server.allowInsecureHttp': {
    doc: 'Explicit opt-in to serve plain HTTP on a non-loopback address with an `http://` public URL. Logged as a warning at every start.',
  },
  'server.allowUnauthenticated': {
    doc: 'Explicit opt-in to serve `/v1` to anonymous callers on a non-loopback address while a real provider is configured. Until end-user authentication is configured, such a gateway is an open relay for your provider key, so it refuses to start without this. Logged as a warning at every start.',
  },
  'limits.maxBodyBytes': { doc: 'Largest request body accepted (413 above).' },
  'limits.maxHeaderBytes': { doc: 'Largest total size of request headers (431 above).' },
  'limits.maxHeaderCount': { doc: 'Most request headers accepted (431 above).' },
  'limits.maxJsonDepth': { doc: 'Deepest nesting of arrays and objects accepted in a JSON body.' },
  'limits.maxMessages': { doc: 'Most messages in one chat request.' },
  'limits.maxConnections': { doc: 'Most simultaneous client connections.' },
  'database.url': {
    doc: '`postgres://…` for PostgreSQL (replicas). Unset: SQLite at `<dataDir>/rampart.db`. Put the password in the environment (`RAMPART_DATABASE__URL`), not the file.',
    defaultText: 'unset (SQLite)',
  },
  'keys.<name>.file': {
    doc: 'File holding the key set for `<name>` (`oidc-signing`, `audit-checkpoint`, `cookie-secret`, `data-kek`), shared by replicas; mode 0600 or stricter. See docs/keys.md.',
    defaultText: 'unset (generated in `<dataDir>/keys/`)',
  },
  'keys.<name>.env': {
    doc: 'Environment variable holding the key set for `<name>` instead of a file.',
    defaultText: 'unset',
  },
  'log.level': { doc: 'pino level: fatal, error, warn, info, debug, trace or silent.' },
  'metrics.enabled': { doc: 'Serve Prometheus metrics at `/metrics`.' },
  'metrics.allow': {
    doc: 'IP addresses or CIDR ranges that may read `/metrics` (others get 404).',
  },
  'usage.flushIntervalMs': {
    doc: 'Usage events (one per allowed request, never its content) wait in memory and are written in batches; this is the longest an event waits before its write starts. A crash (kill -9, out of memory, power loss) loses the events still in memory: as long as the database keeps up, at most about `flushIntervalMs` of traffic and never more than `batchSize` waiting events plus one batch being written — with the defaults, one second or 500 events (+500 in flight), whichever is less. While the database fails or falls behind, up to `usage.maxBuffered`. A graceful stop (SIGTERM) writes them all first. Lower this and `usage.batchSize` to narrow the window, at the cost of more, smaller writes.',
  },
  'usage.batchSize': {
    doc: 'Most events per database write; as soon as this many wait they are written, without waiting for `usage.flushIntervalMs`. Together the two bound what a crash can lose.',
  },
  'usage.maxBuffered': {
    doc: 'Most events held in memory while the database is slow or unreachable; beyond it the oldest are dropped and counted (`rampart_usage_events_dropped_total`). A crash during such an outage loses up to this many.',
  },
  'providers.<name>.type': {
    doc: '`openai-compatible` (OpenAI, Azure OpenAI, Groq, Mistral, vLLM, Ollama…) or `anthropic`.',
    defaultText: 'required',
  },
  'providers.<name>.baseUrl': {
    doc: 'Upstream base URL including the version prefix, e.g. `https://api.openai.com/v1`. Plain `http://` only for loopback (127.0.0.0/8, `[::1]` or `localhost`, as the URL parser reads the host) unless `allowInsecureHttp`.',
    defaultText: 'required',
  },
  'providers.<name>.optional': {
    doc: 'When the key (`apiKeyEnv`, `apiKeyFile`) is missing, leave this provider and its model aliases out with a warning instead of refusing to start. A provider that is not optional and lacks its key is refused before anything is opened.',
  },
  'providers.<name>.apiKeyEnv': {
    doc: 'Name of the environment variable holding the provider key.',
    defaultText: 'unset',
  },
  'providers.<name>.apiKeyFile': {
    doc: 'Path of a file holding the provider key (e.g. a mounted secret).',
    defaultText: 'unset',
  },
  'providers.<name>.authHeader': {
    doc: 'How the key is sent: `bearer` (Authorization), `api-key` (Azure) or `x-api-key`.',
    defaultText: '`bearer`; `x-api-key` for anthropic',
  },
  'providers.<name>.query': {
    doc: 'Fixed query parameters on every call, e.g. `{ api-version: 2024-10-21 }` for Azure.',
    defaultText: '{}',
  },
  'providers.<name>.headers': {
    doc: 'Fixed extra headers on every call (never secrets). Anthropic gets `anthropic-version: 2023-06-01` unless set.',
    defaultText: '{}',
  },
  'providers.<name>.connectTimeoutMs': { doc: 'Time to open a connection to the upstream.' },
  'providers.<name>.headersTimeoutMs': { doc: 'Time until the upstream response headers arrive.' },
  'providers.<name>.bodyTimeoutMs': {
    doc: 'Longest silence between two upstream body chunks or stream events.',
  },
  'providers.<name>.maxRetries': {
    doc: 'Retries for failures where the upstream provably did not process the request (connection refused, 429/503 with a short Retry-After). Never after a stream started.',
  },
  'providers.<name>.maxResponseBytes': { doc: 'Largest upstream response body accepted.' },
  'providers.<name>.allowInsecureHttp': {
    doc: 'Explicit opt-in to send the provider key over plain HTTP to a non-loopback host.',
  },
  'providers.<name>.extraParameters': {
    doc: 'Vendor extensions this provider accepts besides the OpenAI parameters, e.g. `[top_k, min_p]` for vLLM or `[safe_prompt]` for Mistral: each still validated with bounds, and refused for every other provider. [docs/parameters.md](parameters.md) lists them; provider type `anthropic` refuses them all.',
  },
  'models.<alias>.provider': { doc: 'Name of a configured provider.', defaultText: 'required' },
  'models.<alias>.model': { doc: 'The upstream model name.', defaultText: 'required' },
  'models.<alias>.kind': {
    doc: '`chat` (`/v1/chat/completions`) or `embeddings` (`/v1/embeddings`).',
    defaultText: '`chat`',
  },
};
