import { readFileSync } from 'node:fs';
import { startMockUpstream, type MockUpstream } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_ERRORS, type GatewayErrorCode } from '../../src/errors.js';
import { toProblem } from '../../src/http/problem.js';
import { ANTHROPIC_ERROR_TYPES } from '../../src/providers/http/allowlist.js';
import {
  classifyUpstreamError,
  readErrorFields,
  upstreamStatusError,
} from '../../src/providers/http/upstream-errors.js';
import { createProvider } from '../../src/providers/index.js';
import type { Provider, ProviderType } from '../../src/providers/types.js';
import {
  KEY,
  callOptions,
  chatBody,
  expectCatalogue,
  failure,
  settingsFor,
  streamOutcome,
} from './helpers.js';

/**
 * The class "an upstream error the request caused comes back as a client error; one the
 * configuration caused as a 502 naming the cause". Every upstream status 400–599 is crossed with
 * every documented OpenAI error code and Anthropic error type; the expectations are written out
 * here, independently of the allowlist's own sets.
 */

/** What a bare status means (no body, or a body naming nothing on the allowlist). */
const BY_STATUS: Readonly<Record<number, GatewayErrorCode>> = {
  400: 'upstream.request_invalid',
  401: 'upstream.auth_failed',
  402: 'upstream.quota_exceeded',
  403: 'upstream.permission_denied',
  404: 'upstream.model_not_found',
  408: 'upstream.timeout',
  410: 'upstream.model_not_found',
  413: 'upstream.request_too_large',
  422: 'upstream.request_invalid',
  429: 'upstream.rate_limited',
};
const byStatus = (status: number): GatewayErrorCode =>
  status >= 500 ? 'upstream.server_error' : (BY_STATUS[status] ?? 'upstream.rejected');

const STATUSES = Array.from({ length: 200 }, (_, i) => 400 + i);

/** OpenAI codes that blame the configuration, whatever the 4xx status. */
const CONFIG_CODES: Readonly<Record<string, GatewayErrorCode>> = {
  invalid_api_key: 'upstream.auth_failed',
  invalid_organization: 'upstream.auth_failed',
  unsupported_country_region_territory: 'upstream.permission_denied',
  model_not_found: 'upstream.model_not_found',
  insufficient_quota: 'upstream.quota_exceeded',
  billing_hard_limit_reached: 'upstream.quota_exceeded',
  billing_not_active: 'upstream.quota_exceeded',
};
/** OpenAI codes that say what is wrong with the request, and what they become on 400 and 422. */
const REQUEST_CODES: Readonly<Record<string, GatewayErrorCode>> = {
  context_length_exceeded: 'upstream.context_length_exceeded',
  content_policy_violation: 'upstream.content_filtered',
  content_filter: 'upstream.content_filtered',
  invalid_prompt: 'upstream.content_filtered',
  image_content_policy_violation: 'upstream.content_filtered',
  bio_policy: 'upstream.content_filtered',
  invalid_value: 'upstream.request_invalid',
  invalid_type: 'upstream.request_invalid',
  missing_required_parameter: 'upstream.request_invalid',
  unknown_parameter: 'upstream.request_invalid',
  unsupported_parameter: 'upstream.request_invalid',
  unsupported_value: 'upstream.request_invalid',
  integer_above_max_value: 'upstream.request_invalid',
  decimal_below_min_value: 'upstream.request_invalid',
  string_above_max_length: 'upstream.request_invalid',
  array_above_max_length: 'upstream.request_invalid',
  empty_array: 'upstream.request_invalid',
  invalid_function_parameters: 'upstream.request_invalid',
  invalid_image_url: 'upstream.request_invalid',
  invalid_base64_image: 'upstream.request_invalid',
  image_parse_error: 'upstream.request_invalid',
  unsupported_image_media_type: 'upstream.request_invalid',
  // Neither: the status decides.
  rate_limit_exceeded: 'upstream.request_invalid',
  server_error: 'upstream.request_invalid',
};

/** Anthropic's documented types and the status its docs pair each with, written out again. */
const ANTHROPIC: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

const openAiBody = (type: string | null, code: string | null, param: string | null = null) =>
  JSON.stringify({ error: { message: `leak ${KEY}`, type, param, code } });
const anthropicBody = (type: string) =>
  JSON.stringify({ type: 'error', error: { type, message: `leak ${KEY}` } });

describe('classification over every upstream status', () => {
  it('the written-out Anthropic table is the one the code uses', () => {
    expect(ANTHROPIC_ERROR_TYPES).toEqual(ANTHROPIC);
  });

  it.each(STATUSES)('status %i with no body, a non-JSON body or unknown values', (status) => {
    const expected = byStatus(status);
    for (const body of ['', '<html>oops</html>', openAiBody('BadRequestError', 'E42')]) {
      expect(classifyUpstreamError(status, readErrorFields(body))).toBe(expected);
    }
    // An OpenAI-compatible server's flat error document (vLLM) with a numeric code.
    const flat = JSON.stringify({ object: 'error', message: 'x', type: 'x', code: status });
    expect(classifyUpstreamError(status, readErrorFields(flat))).toBe(expected);
  });

  it.each(STATUSES)('status %i × every documented OpenAI code', (status) => {
    for (const [code, config] of Object.entries(CONFIG_CODES)) {
      const got = classifyUpstreamError(status, readErrorFields(openAiBody('x', code)));
      expect(got, code).toBe(status >= 500 ? 'upstream.server_error' : config);
    }
    for (const [code, onInvalid] of Object.entries(REQUEST_CODES)) {
      const got = classifyUpstreamError(
        status,
        readErrorFields(openAiBody('invalid_request_error', code)),
      );
      expect(got, code).toBe(status === 400 || status === 422 ? onInvalid : byStatus(status));
    }
  });

  it.each(STATUSES)('status %i × every documented Anthropic type', (status) => {
    for (const [type, documented] of Object.entries(ANTHROPIC)) {
      const got = classifyUpstreamError(status, readErrorFields(anthropicBody(type)));
      expect(got, type).toBe(status >= 500 ? 'upstream.server_error' : byStatus(documented));
    }
    const unknown = classifyUpstreamError(status, readErrorFields(anthropicBody('new_error')));
    expect(unknown).toBe(byStatus(status));
  });

  it('client-caused codes are 4xx for the client; configuration-caused ones are 502', () => {
    const client = [
      'upstream.request_invalid',
      'upstream.context_length_exceeded',
      'upstream.content_filtered',
      'upstream.request_too_large',
    ] as const;
    for (const code of client) expect(GATEWAY_ERRORS[code].status).toBeLessThan(500);
    const config = [
      'upstream.auth_failed',
      'upstream.permission_denied',
      'upstream.model_not_found',
      'upstream.quota_exceeded',
      'upstream.rejected',
    ] as const;
    for (const code of config) expect(GATEWAY_ERRORS[code].status).toBe(502);
  });
});

describe('docs/upstream-errors.md', () => {
  const page = readFileSync(
    new URL('../../../../docs/upstream-errors.md', import.meta.url),
    'utf8',
  );
  const rows = page
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );

  it('states what every plain status row maps to, with the client status', () => {
    const plain = rows.filter((row) => /^\d{3}$/.test(row[0] ?? ''));
    expect(plain.length).toBeGreaterThanOrEqual(Object.keys(BY_STATUS).length);
    for (const [status, code, clientStatus] of plain) {
      const expected = classifyUpstreamError(Number(status), {});
      expect(code, `row ${status}`).toContain(`\`${expected}\``);
      expect(Number(clientStatus), `row ${status}`).toBe(GATEWAY_ERRORS[expected].status);
    }
  });

  it('states what every Anthropic type maps to', () => {
    for (const [type, status] of Object.entries(ANTHROPIC)) {
      const row = rows.find((r) => r[0] === `\`${type}\``);
      expect(row, type).toBeDefined();
      expect(Number(row?.[1])).toBe(status);
      const expected = classifyUpstreamError(400, readErrorFields(anthropicBody(type)));
      expect(row?.[2]).toBe(`\`${expected}\``);
    }
  });

  it('is linked from the doc of every upstream error code it names', () => {
    for (const code of new Set(page.match(/upstream\.[a-z_]+/g))) {
      if (code === 'upstream.timeout') continue;
      expect(GATEWAY_ERRORS[code as GatewayErrorCode]?.doc ?? '', code).toMatch(
        /docs\/upstream-errors\.md|5xx|429/,
      );
    }
  });
});

describe('what reaches the client', () => {
  it('the issue example: 400 context_length_exceeded, with its type, code and param', () => {
    const error = upstreamStatusError(
      400,
      openAiBody('invalid_request_error', 'context_length_exceeded', 'messages'),
      undefined,
    );
    expect(error.code).toBe('upstream.context_length_exceeded');
    expect(error.status).toBe(400);
    const problem = toProblem(error, 'req-1');
    expect(problem.code).toBe('upstream.context_length_exceeded');
    expect(problem.error).toEqual({
      message: error.message,
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
    });
    expect(JSON.stringify(problem)).not.toContain('leak');
  });

  it.each([
    ['a key in every field', { message: KEY, type: KEY, code: KEY, param: KEY }],
    ['a key-like param path', { type: 'x', code: 'invalid_value', param: 'messages.sk_Live9x' }],
    ['an unknown root', { code: 'invalid_value', param: 'internal_host' }],
    ['too long a path', { code: 'invalid_value', param: `messages${'[0]'.repeat(60)}` }],
    ['non-strings', { type: 1, code: ['invalid_value'], param: { a: 1 } }],
    ['an internal host', { type: 'litellm.BadRequestError', code: '10.0.0.7:8080' }],
  ])('drops %s', (_name, inner) => {
    const error = upstreamStatusError(400, JSON.stringify({ error: inner }), undefined);
    const text = JSON.stringify(toProblem(error, 'req-1'));
    expect(text).not.toContain(KEY.slice(0, 12));
    expect(text).not.toMatch(/sk_Live|internal_host|litellm|10\.0\.0\.7|\[0\]\[0\]/);
    const problem = toProblem(error, 'req-1');
    expect(['upstream', 'invalid_request_error']).toContain(problem.error.type);
  });

  it.each([
    ['messages[3].content[0].image_url', true],
    ['tools[0].function.parameters', true],
    ['prompt', true],
    ['response_format.json_schema.schema', true],
    ['Messages', false],
    ['messages[0].content[0].text.Secret1', false],
    ['messages[123456]', false],
    ['max_tokens ', false],
  ])('param %s is repeated: %s', (param, kept) => {
    const error = upstreamStatusError(400, openAiBody(null, 'invalid_value', param), undefined);
    expect(toProblem(error, 'r').error.param).toBe(kept ? param : null);
  });

  it('a configuration fault keeps Rampart’s own error fields and names allowlisted values only', () => {
    const error = upstreamStatusError(
      429,
      openAiBody('insufficient_quota', 'insufficient_quota'),
      3,
    );
    expect(error.code).toBe('upstream.quota_exceeded');
    expect(error.message).toBe('the upstream answered 429 (insufficient_quota)');
    expect(error.extensions).toEqual({});
    expect(toProblem(error, 'r').error).toMatchObject({
      type: 'upstream',
      code: 'upstream.quota_exceeded',
    });
  });
});

/** Real requests through both adapters: JSON and streaming, with retries on. */
const CASES: readonly {
  name: string;
  status: number;
  body: (dialect: 'openai' | 'anthropic') => unknown;
  code: GatewayErrorCode;
  /** Expected OpenAI fields in the problem's `error` member, for the OpenAI dialect. */
  fields?: Record<string, string>;
  /** Upstream requests seen (a 429 with Retry-After 0 is retried once). */
  calls?: number;
}[] = [
  {
    name: 'context length',
    status: 400,
    body: (d) =>
      d === 'openai'
        ? {
            error: {
              message: `maximum context length is 8192 tokens; key ${KEY}`,
              type: 'invalid_request_error',
              param: 'messages',
              code: 'context_length_exceeded',
            },
          }
        : {
            type: 'error',
            error: { type: 'invalid_request_error', message: 'prompt is too long' },
          },
    code: 'upstream.context_length_exceeded',
    fields: { type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' },
  },
  {
    name: 'invalid image',
    status: 400,
    body: () => ({
      error: {
        message: 'Invalid image.',
        type: 'invalid_request_error',
        param: 'messages[0].content[1].image_url',
        code: 'invalid_image_url',
      },
    }),
    code: 'upstream.request_invalid',
    fields: {
      type: 'invalid_request_error',
      code: 'invalid_image_url',
      param: 'messages[0].content[1].image_url',
    },
  },
  {
    name: 'content policy (Azure)',
    status: 400,
    body: () => ({
      error: { message: 'Azure blocked it', param: 'prompt', code: 'content_filter' },
    }),
    code: 'upstream.content_filtered',
    fields: { code: 'content_filter', param: 'prompt' },
  },
  {
    name: 'invalid tool schema (422 from a compatible server)',
    status: 422,
    body: () => ({ detail: [{ loc: ['body', 'tools', 0], msg: 'bad schema' }] }),
    code: 'upstream.request_invalid',
  },
  {
    name: 'too large',
    status: 413,
    body: () => 'Request Entity Too Large',
    code: 'upstream.request_too_large',
  },
  { name: 'bad key', status: 401, body: () => undefined, code: 'upstream.auth_failed' },
  { name: 'no permission', status: 403, body: () => undefined, code: 'upstream.permission_denied' },
  { name: 'no such model', status: 404, body: () => undefined, code: 'upstream.model_not_found' },
  {
    name: 'insufficient quota',
    status: 429,
    body: (d) =>
      d === 'openai'
        ? {
            error: {
              message: 'quota',
              type: 'insufficient_quota',
              param: null,
              code: 'insufficient_quota',
            },
          }
        : { type: 'error', error: { type: 'billing_error', message: 'credit' } },
    code: 'upstream.quota_exceeded',
  },
  {
    name: 'rate limited',
    status: 429,
    body: () => undefined,
    code: 'upstream.rate_limited',
    calls: 2,
  },
  { name: 'overloaded', status: 529, body: () => undefined, code: 'upstream.server_error' },
  { name: 'conflict', status: 409, body: () => 'Conflict', code: 'upstream.rejected' },
];

let mock: MockUpstream;
const providers = new Map<ProviderType, Provider>();
beforeAll(async () => {
  mock = await startMockUpstream();
  for (const type of ['openai-compatible', 'anthropic'] as const) {
    providers.set(type, createProvider(settingsFor(type, mock.url, { maxRetries: 1 })));
  }
});
afterAll(async () => {
  await Promise.all([...providers.values()].map((p) => p.close()));
  await mock.close();
});

describe.each(['openai-compatible', 'anthropic'] as const)('through the %s adapter', (type) => {
  const dialect = type === 'anthropic' ? 'anthropic' : 'openai';
  it.each(CASES)('$name → $code, JSON and stream alike', async (c) => {
    const body = c.body(dialect);
    mock.setOptions({
      errorResponse: {
        status: c.status,
        ...(body === undefined ? {} : { body }),
        ...(c.status === 429 ? { headers: { 'retry-after': '0' } } : {}),
      },
    });
    const expected =
      dialect === 'anthropic' && c.code === 'upstream.context_length_exceeded'
        ? 'upstream.request_invalid'
        : c.code;
    for (const stream of [false, true]) {
      const before = mock.requests.length;
      const request = chatBody('fault:http-error');
      const error = stream
        ? (await streamOutcome(providers.get(type)!, request)).error
        : await failure(providers.get(type)!.chat(request, callOptions()));
      const rampart = expectCatalogue(error, expected);
      expect(mock.requests.length - before, `stream ${stream}`).toBe(c.calls ?? 1);
      const problem = JSON.stringify(toProblem(rampart, 'r'));
      expect(problem).not.toMatch(
        /maximum context|Invalid image|Azure blocked|bad schema|quota'|credit|Entity|Conflict/,
      );
      if (dialect === 'openai' && c.fields !== undefined) {
        expect(toProblem(rampart, 'r').error).toMatchObject(c.fields);
      }
    }
  });
});
