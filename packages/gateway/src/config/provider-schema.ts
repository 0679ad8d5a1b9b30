import { z } from 'zod';
import { KEY_NAMES, type KeyName } from '../keys/specs.js';
import { EXTRA_PARAMETER_NAMES } from '../pipeline/parse/extensions.js';
import './meta.js';

/**
 * The upstream half of the configuration: providers, model aliases and shared key sources.
 * Like schema.ts, each option carries its default, validation and description here.
 */
const MiB = 1024 * 1024;

/** Sent as `anthropic-version` to Anthropic unless the provider's headers set it. */
export const ANTHROPIC_VERSION = '2023-06-01';

const ms = (max: number) => z.number().int().min(1).max(max);
export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
export const httpUrl = z.url({
  protocol: /^https?$/,
  error: 'expected an http:// or https:// URL',
});

/**
 * Fields the gateway would add to upstream requests on its own, each one a capability the
 * provider may lack. A field the client sent itself is forwarded as sent either way; only what
 * the gateway adds is decided here, so that no request fails through Rampart that would succeed
 * when sent directly.
 */
const capabilitiesSchema = z.strictObject({
  streamUsage: z.boolean().default(true).meta({
    description:
      "Add `stream_options: {include_usage: true}` to every streamed chat request, so that the upstream reports the stream's tokens and its usage row has them (the extra usage chunk is not shown to a client that did not ask for it). OpenAI, Azure OpenAI, vLLM and Groq accept it, hence the default; set `false` for a server that refuses unknown fields (some Mistral versions answer 422), and the gateway then adds nothing: a client's own `stream_options` is still forwarded as sent. With it off, a streamed request whose client did not ask for usage is recorded with unknown tokens: `prompt_tokens` and `completion_tokens` are null in its usage row, not 0, until token estimates arrive with abuse control. Type `anthropic` always streams its usage without being asked, so nothing is added there and `false` is refused.",
  }),
});

export const providerSchema = z
  .strictObject({
    type: z.enum(['openai-compatible', 'anthropic']).meta({
      description:
        '`openai-compatible` (OpenAI, Azure OpenAI, Groq, Mistral, vLLM, Ollama…) or `anthropic`.',
    }),
    baseUrl: httpUrl.meta({
      description:
        'Upstream base URL including the version prefix, e.g. `https://api.openai.com/v1`. Plain `http://` only for loopback (127.0.0.0/8, `[::1]` or `localhost`, as the URL parser reads the host) unless `allowInsecureHttp`.',
    }),
    optional: z.boolean().default(false).meta({
      description:
        'When the key (`apiKeyEnv`, `apiKeyFile`) is missing, leave this provider and its model aliases out with a warning instead of refusing to start. A provider that is not optional and lacks its key is refused before anything is opened.',
    }),
    apiKeyEnv: envName
      .optional()
      .meta({ description: 'Name of the environment variable holding the provider key.' }),
    apiKeyFile: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Path of a file holding the provider key (e.g. a mounted secret).' }),
    authHeader: z.enum(['bearer', 'api-key', 'x-api-key']).optional().meta({
      description:
        'How the key is sent: `bearer` (Authorization), `api-key` (Azure) or `x-api-key`.',
      defaultText: '`bearer`; `x-api-key` for anthropic',
    }),
    query: z.record(z.string(), z.string()).default({}).meta({
      description:
        'Fixed query parameters on every call, e.g. `{ api-version: 2024-10-21 }` for Azure.',
    }),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name'), z.string())
      .default({})
      .meta({
        description: `Fixed extra headers on every call (never secrets). Anthropic gets \`anthropic-version: ${ANTHROPIC_VERSION}\` unless set.`,
      }),
    connectTimeoutMs: ms(120_000)
      .default(5_000)
      .meta({ description: 'Time to open a connection to the upstream.' }),
    headersTimeoutMs: ms(900_000)
      .default(60_000)
      .meta({ description: 'Time until the upstream response headers arrive.' }),
    bodyTimeoutMs: ms(900_000)
      .default(60_000)
      .meta({ description: 'Longest silence between two upstream body chunks or stream events.' }),
    maxRetries: z.number().int().min(0).max(5).default(1).meta({
      description:
        'Retries for failures where the upstream provably did not process the request (connection refused, 429/503 with a short Retry-After). Never after a stream started.',
    }),
    maxResponseBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * MiB)
      .default(16 * MiB)
      .meta({ description: 'Largest upstream response body accepted.' }),
    allowInsecureHttp: z.boolean().default(false).meta({
      description:
        'Explicit opt-in to send the provider key over plain HTTP to a non-loopback host.',
    }),
    extraParameters: z.array(z.enum(EXTRA_PARAMETER_NAMES)).default([]).meta({
      description:
        'Vendor extensions this provider accepts besides the OpenAI parameters, e.g. `[top_k, min_p]` for vLLM or `[safe_prompt]` for Mistral: each still validated with bounds, and refused for every other provider. [docs/parameters.md](parameters.md) lists them; provider type `anthropic` refuses them all.',
    }),
    capabilities: capabilitiesSchema.prefault({}),
  })
  .refine((provider) => provider.type !== 'anthropic' || provider.capabilities.streamUsage, {
    path: ['capabilities', 'streamUsage'],
    message:
      'type anthropic always reports usage in its streams; the gateway adds no field to turn off. Fix: remove it',
  });

export const modelSchema = z.strictObject({
  provider: z.string().min(1).meta({ description: 'Name of a configured provider.' }),
  model: z.string().min(1).max(256).meta({ description: 'The upstream model name.' }),
  kind: z
    .enum(['chat', 'embeddings'])
    .default('chat')
    .meta({ description: '`chat` (`/v1/chat/completions`) or `embeddings` (`/v1/embeddings`).' }),
});

/** Where a shared key comes from (replicas); a key with no source is generated in dataDir. */
const keySourceSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: `File holding the key set for \`<name>\` (${KEY_NAMES.map((name) => `\`${name}\``).join(', ')}), shared by replicas; mode 0600 or stricter. See docs/keys.md.`,
        defaultText: 'unset (generated in `<dataDir>/keys/`)',
      }),
    env: envName.optional().meta({
      description: 'Environment variable holding the key set for `<name>` instead of a file.',
    }),
  })
  .refine((source) => (source.file === undefined) !== (source.env === undefined), {
    message:
      'names both a file and an env variable, or neither. Fix: keep exactly one of `file:` or `env:`',
  });

export const keysSchema = z
  .strictObject(
    Object.fromEntries(KEY_NAMES.map((name) => [name, keySourceSchema.optional()])) as Record<
      KeyName,
      z.ZodOptional<typeof keySourceSchema>
    >,
  )
  .prefault({})
  .meta({ entryName: '<name>' });

export const providersSchema = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a lowercase name'),
    providerSchema,
  )
  .default({})
  .meta({ entryName: '<name>' });

export const modelsSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'expected a model alias'),
    modelSchema,
  )
  .default({})
  .meta({ entryName: '<alias>' });
