import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CHAT_PARAMETERS,
  EMBEDDING_PARAMETERS,
  ChatParameterName,
} from '../../src/pipeline/parse/parameters.js';
import { ANTHROPIC_PARAMETERS } from '../../src/providers/anthropic/unsupported.js';
import { validateConfig } from '../../src/config/index.js';
import { hello, startHarness, type Harness } from './harness.js';

type Forwarded<T> = {
  [K in keyof T]: T[K] extends { forward: unknown } ? K : never;
}[keyof T];
type Refused<T> = Exclude<keyof T, Forwarded<T>>;

/**
 * A valid, non-default value for every forwarded parameter: a parameter the gateway starts to
 * forward needs one here before this file compiles. `model` and `messages` are in every body.
 */
const CHAT_SAMPLES: Record<
  Exclude<Forwarded<typeof CHAT_PARAMETERS>, 'model' | 'messages'>,
  unknown
> = {
  audio: { format: 'mp3', voice: 'alloy' },
  frequency_penalty: 0.5,
  function_call: 'auto',
  functions: [{ name: 'f', parameters: { type: 'object' } }],
  logit_bias: { '50256': -100 },
  logprobs: true,
  max_completion_tokens: 64,
  max_tokens: 32,
  metadata: { app: 'demo' },
  modalities: ['text', 'audio'],
  moderation: { model: 'omni-moderation-latest', policy: { input: { mode: 'block' } } },
  n: 2,
  parallel_tool_calls: false,
  prediction: { type: 'content', content: [{ type: 'text', text: 'Hello' }] },
  presence_penalty: -0.5,
  prompt_cache_key: 'tenant-42',
  prompt_cache_options: { mode: 'explicit', ttl: '30m' },
  prompt_cache_retention: '24h',
  reasoning_effort: 'low',
  response_format: { type: 'json_object' },
  safety_identifier: 'b3f1c2',
  seed: 7,
  service_tier: 'flex',
  stop: ['END'],
  store: false,
  stream: true,
  stream_options: { include_usage: false, include_obfuscation: false },
  temperature: 0.3,
  tool_choice: 'none',
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
  top_logprobs: 2,
  top_p: 0.5,
  user: 'u-1',
  verbosity: 'low',
};

/** A value for every parameter refused on purpose, well-formed for the OpenAI API. */
const CHAT_REFUSED_SAMPLES: Record<Refused<typeof CHAT_PARAMETERS>, unknown> = {
  web_search_options: { search_context_size: 'low' },
};

const EMBEDDING_SAMPLES: Record<
  Exclude<Forwarded<typeof EMBEDDING_PARAMETERS>, 'model' | 'input'>,
  unknown
> = {
  dimensions: 256,
  encoding_format: 'float',
  user: 'u-1',
};
const EMBEDDING_REFUSED_SAMPLES: Record<Refused<typeof EMBEDDING_PARAMETERS>, unknown> = {};

/** Values outside a forwarded parameter's type or bounds: each refused, naming the parameter. */
const OUT_OF_BOUNDS: ReadonlyArray<[ChatParameterName, unknown]> = [
  ['prompt_cache_key', 'x'.repeat(1025)],
  ['prompt_cache_key', 42],
  ['safety_identifier', 'x'.repeat(65)],
  ['store', true],
  ['service_tier', 'priority'],
  ['service_tier', 'scale'],
  ['metadata', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
  ['metadata', { k: 'x'.repeat(513) }],
  ['logit_bias', { abc: 1 }],
  ['logit_bias', { '1': 101 }],
  ['audio', { format: 'ogg', voice: 'alloy' }],
  ['audio', { format: 'mp3', voice: 'alloy', url: 'https://example.com' }],
  ['modalities', ['video']],
  ['verbosity', 'extreme'],
  ['reasoning_effort', 'HIGH; x'],
  ['prompt_cache_options', { mode: 'explicit', extra: 1 }],
  ['prompt_cache_retention', 'forever'],
  ['moderation', { policy: {} }],
  ['prediction', { type: 'content', content: 3 }],
  ['stream_options', { include_usage: 'yes' }],
  ['temperature', 2.5],
  ['n', 0],
];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const lastBody = () => h.mock.requests.at(-1)?.body as Record<string, unknown>;

async function expectRefused(
  model: string,
  extra: Record<string, unknown>,
  code: string,
  parameter: string,
) {
  const before = h.mock.requests.length;
  const response = await h.post('/v1/chat/completions', hello(model, extra));
  expect(response.status).toBe(400);
  const problem = (await response.json()) as {
    code: string;
    detail: string;
    errors: Array<{ path: string; message: string }>;
  };
  expect(problem.code).toBe(code);
  // The path names the parameter, or a field inside it (`audio.format`).
  const paths = problem.errors.map((error) => error.path.split('.')[0]);
  expect(paths).toContain(parameter);
  expect(h.mock.requests).toHaveLength(before);
  return problem;
}

describe('every parameter of the openai request types has its decision', () => {
  it.each(Object.entries(CHAT_SAMPLES))(
    'chat parameter %s reaches an openai-compatible upstream unchanged',
    async (name, value) => {
      const body = hello(
        'chat',
        name === 'stream_options' ? { stream: true, [name]: value } : { [name]: value },
      );
      const response = await h.post('/v1/chat/completions', body);
      expect(response.status).toBe(200);
      await response.text();
      const sent = lastBody();
      expect(sent.model).toBe('upstream-chat');
      expect(sent.messages).toEqual(body.messages);
      if (name === 'stream_options') {
        // The adapter asks for the usage chunk itself (and hides it when the client did not).
        expect(sent[name]).toEqual({ ...(value as object), include_usage: true });
      } else {
        expect(sent[name]).toEqual(value);
      }
    },
  );

  it.each(Object.entries(CHAT_REFUSED_SAMPLES))(
    'chat parameter %s is refused by the gateway with its reason',
    async (name, value) => {
      const problem = await expectRefused(
        'chat',
        { [name]: value },
        'request.invalid_parameter',
        name,
      );
      expect(problem.errors[0]?.message).toMatch(/^refused by this gateway: .{20,}/);
    },
  );

  it.each(Object.entries(EMBEDDING_SAMPLES))(
    'embedding parameter %s reaches the upstream unchanged',
    async (name, value) => {
      const response = await h.post('/v1/embeddings', {
        model: 'embed',
        input: ['a', 'b'],
        [name]: value,
      });
      expect(response.status).toBe(200);
      expect(lastBody()).toEqual({ model: 'upstream-embed', input: ['a', 'b'], [name]: value });
    },
  );

  it('no embedding parameter is refused today', () => {
    expect(Object.keys(EMBEDDING_REFUSED_SAMPLES)).toEqual([]);
  });

  it('prompt_cache_key, the parameter that was refused, is forwarded', async () => {
    const response = await h.post(
      '/v1/chat/completions',
      hello('chat', { prompt_cache_key: 'user-7-session' }),
    );
    expect(response.status).toBe(200);
    expect(lastBody().prompt_cache_key).toBe('user-7-session');
  });

  it.each(OUT_OF_BOUNDS)('%s = %j is refused: forwarding is not blind', async (name, value) => {
    await expectRefused('chat', { [name]: value }, 'request.invalid_parameter', name);
  });
});

describe('the anthropic adapter translates or refuses each parameter, never drops one', () => {
  const decided = Object.entries(CHAT_SAMPLES).filter(
    ([name]) => !('translate' in ANTHROPIC_PARAMETERS[name as ChatParameterName]),
  );

  it.each(decided)('%s', async (name, value) => {
    const decision = ANTHROPIC_PARAMETERS[name as ChatParameterName];
    if ('accepts' in decision && decision.accepts(value)) {
      const response = await h.post('/v1/chat/completions', hello('claude', { [name]: value }));
      expect(response.status).toBe(200);
      return;
    }
    const problem = await expectRefused(
      'claude',
      { [name]: value },
      'request.unsupported_by_provider',
      name,
    );
    expect(problem.detail).toContain(name);
  });

  it('the default value of a parameter it cannot translate passes', async () => {
    const response = await h.post(
      '/v1/chat/completions',
      hello('claude', { n: 1, logprobs: false, store: false, modalities: ['text'], seed: null }),
    );
    expect(response.status).toBe(200);
    expect(lastBody()).not.toHaveProperty('n');
  });
});

describe('vendor extensions are accepted only for a provider that enables them', () => {
  it('top_k is refused for a provider that does not list it', async () => {
    const problem = await expectRefused(
      'chat',
      { top_k: 40 },
      'request.invalid_parameter',
      'top_k',
    );
    expect(problem.errors[0]?.message).toContain('vendor extension');
  });

  it('the configuration refuses a name that is not a known extension', () => {
    const provider = { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' };
    expect(() =>
      validateConfig({ providers: { vllm: { ...provider, extraParameters: ['top_q'] } } }),
    ).toThrow(/extraParameters/);
  });

  describe('with providers.mock.extraParameters = [top_k, safe_prompt]', () => {
    let enabled: Harness;
    beforeAll(async () => {
      enabled = await startHarness({
        config: {
          providers: {
            mock: { extraParameters: ['top_k', 'safe_prompt'] },
            claude: { extraParameters: ['top_k'] },
          },
        },
      });
    });
    afterAll(async () => {
      await enabled.close();
    });

    it('forwards them, validated', async () => {
      const response = await enabled.post(
        '/v1/chat/completions',
        hello('chat', { top_k: 40, safe_prompt: true }),
      );
      expect(response.status).toBe(200);
      expect(enabled.mock.requests.at(-1)?.body).toMatchObject({ top_k: 40, safe_prompt: true });
    });

    it.each([
      [{ top_k: -2 }, 'top_k'],
      [{ top_k: 1.5 }, 'top_k'],
      [{ safe_prompt: 'yes' }, 'safe_prompt'],
      [{ min_p: 0.1 }, 'min_p'],
    ])('still refuses %j', async (extra, parameter) => {
      const response = await enabled.post('/v1/chat/completions', hello('chat', extra));
      expect(response.status).toBe(400);
      const problem = (await response.json()) as { code: string; errors: Array<{ path: string }> };
      expect(problem).toMatchObject({ code: 'request.invalid_parameter' });
      expect(problem.errors[0]?.path).toBe(parameter);
    });

    it('an anthropic provider that lists one refuses it as unsupported', async () => {
      const response = await enabled.post('/v1/chat/completions', hello('claude', { top_k: 40 }));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'request.unsupported_by_provider' });
    });
  });
});
