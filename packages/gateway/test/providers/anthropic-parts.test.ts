import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toAnthropicRequest } from '../../src/providers/anthropic/request.js';
import type { JsonObject } from '../../src/providers/types.js';

const send = (messages: unknown[], extra: JsonObject = {}) =>
  toAnthropicRequest({ model: 'm', messages, ...extra });
const user = (...content: unknown[]) => [{ role: 'user', content }];

const refused = (code: string, path: string): unknown =>
  expect.objectContaining({
    code,
    extensions: { errors: [expect.objectContaining({ path })] },
  });
const notSupported = (path: string) => refused('request.unsupported_by_provider', path);
const invalid = (path: string) => refused('request.invalid_parameter', path);

const EPHEMERAL = { type: 'ephemeral' };

describe('OpenAI content parts → Anthropic: aliases are normalised', () => {
  it.each([
    ['data:image/jpg;base64,AA', 'image/jpeg'],
    ['data:image/JPG;base64,AA', 'image/jpeg'],
    ['data:Image/Jpeg;base64,AA', 'image/jpeg'],
    ['DATA:image/png;BASE64,AA', 'image/png'],
    ['data:image/webp;base64,AA', 'image/webp'],
    ['data:image/gif;base64,AA', 'image/gif'],
  ])('%s is sent as %s', (url, mediaType) => {
    const { messages } = send(user({ type: 'image_url', image_url: { url } }));
    expect(messages).toEqual([
      {
        role: 'user',
        content: [{ type: 'image', source: { type: 'base64', media_type: mediaType, data: 'AA' } }],
      },
    ]);
  });

  it.each(['data:image/bmp;base64,AA', 'data:image/heic;base64,AA', 'data:image/png,AA'])(
    'refuses %s, which neither OpenAI nor Anthropic reads',
    (url) => {
      expect(() => send(user({ type: 'image_url', image_url: { url } }))).toThrow(
        invalid('messages.0.content.0.image_url.url'),
      );
    },
  );
});

describe('OpenAI content parts → Anthropic: every field translated or refused', () => {
  it('keeps a cache marker on a system part: the system prompt becomes text blocks', () => {
    const request = send([
      {
        role: 'system',
        content: [
          { type: 'text', text: 'Long stable instructions.', cache_control: EPHEMERAL },
          { type: 'text', text: 'Today is Monday.' },
        ],
      },
      { role: 'user', content: 'Hi' },
    ]);
    expect(request.system).toEqual([
      { type: 'text', text: 'Long stable instructions.', cache_control: EPHEMERAL },
      { type: 'text', text: 'Today is Monday.' },
    ]);
  });

  it('keeps cache markers on user, image, file, tool-result parts and tools', () => {
    const ttl = { type: 'ephemeral', ttl: '1h' };
    const request = send(
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Read these.', cache_control: EPHEMERAL },
            { type: 'image_url', image_url: { url: 'https://x.test/a.png' }, cache_control: ttl },
            {
              type: 'file',
              file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' },
              cache_control: EPHEMERAL,
            },
          ],
        },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }],
        },
        {
          role: 'tool',
          tool_call_id: 'c1',
          content: [{ type: 'text', text: 'result', cache_control: EPHEMERAL }],
        },
      ],
      { tools: [{ type: 'function', function: { name: 'f' }, cache_control: EPHEMERAL }] },
    );
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Read these.', cache_control: EPHEMERAL },
          {
            type: 'image',
            source: { type: 'url', url: 'https://x.test/a.png' },
            cache_control: ttl,
          },
          {
            type: 'document',
            source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' },
            title: 'a.pdf',
            cache_control: EPHEMERAL,
          },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'f', input: {} }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'c1',
            content: [{ type: 'text', text: 'result', cache_control: EPHEMERAL }],
          },
        ],
      },
    ]);
    expect(request.tools).toEqual([
      { name: 'f', input_schema: { type: 'object', properties: {} }, cache_control: EPHEMERAL },
    ]);
  });

  it('validates cache markers instead of passing them on blindly', () => {
    const part = (cache_control: unknown) => ({ type: 'text', text: 'x', cache_control });
    expect(() => send(user(part({ type: 'persistent' })))).toThrow(
      invalid('messages.0.content.0.cache_control'),
    );
    expect(() => send(user(part({ type: 'ephemeral', ttl: '1d' })))).toThrow(
      invalid('messages.0.content.0.cache_control.ttl'),
    );
    expect(() => send(user(part(EPHEMERAL), { ...part(EPHEMERAL), text: '' }))).toThrow(
      notSupported('messages.0.content.1.cache_control'),
    );
    expect(() => send([{ role: 'user', content: 'x', cache_control: EPHEMERAL }])).toThrow(
      notSupported('messages.0.cache_control'),
    );
  });

  it.each([
    [
      user({ type: 'image_url', image_url: { url: 'https://x.test/a.png', detail: 'low' } }),
      'messages.0.content.0.image_url.detail',
    ],
    [
      user({ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }),
      'messages.0.content.0.type',
    ],
    [user({ type: 'file', file: { file_id: 'file-abc' } }), 'messages.0.content.0.file.file_id'],
    [
      user({ type: 'file', file: { file_data: 'data:text/csv;base64,AA' } }),
      'messages.0.content.0.file.file_data',
    ],
    [user({ type: 'refusal', refusal: 'no' }), 'messages.0.content.0.type'],
    [user({ type: 'future_part' }), 'messages.0.content.0.type'],
    [
      [
        {
          role: 'assistant',
          content: [{ type: 'image_url', image_url: { url: 'https://x.test' } }],
        },
      ],
      'messages.0.content.0.type',
    ],
    [
      [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x.test' } }] }],
      'messages.0.content.0.type',
    ],
    [[{ role: 'user', content: 'x', name: 'alice' }], 'messages.0.name'],
    [[{ role: 'system', content: 'x', name: 'policy' }], 'messages.0.name'],
    [[{ role: 'assistant', content: 'x', name: 'bot' }], 'messages.0.name'],
    [[{ role: 'assistant', content: 'x', audio: { id: 'a1' } }], 'messages.0.audio'],
    [
      [{ role: 'assistant', function_call: { name: 'f', arguments: '{}' } }],
      'messages.0.function_call',
    ],
    [
      [
        {
          role: 'assistant',
          tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'f', input: '' } }],
        },
      ],
      'messages.0.tool_calls.0.type',
    ],
    [[{ role: 'function', name: 'f', content: 'x' }], 'messages.0.role'],
    [[{ role: 'user', content: 'x', tool_call_id: 'c' }], 'messages.0.tool_call_id'],
  ])('refuses what Anthropic cannot honour, naming it (%#)', (messages, path) => {
    expect(() => send(messages)).toThrow(notSupported(path));
  });

  it('accepts detail auto and high, which describe how Anthropic reads every image', () => {
    for (const detail of ['auto', 'high', null]) {
      const { messages } = send(
        user({ type: 'image_url', image_url: { url: 'https://x.test/a.png', detail } }),
      );
      expect(messages).toEqual([
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }],
        },
      ]);
    }
  });

  it('keeps an assistant refusal from the history as text, as part or as field', () => {
    const { messages } = send([
      { role: 'user', content: 'x' },
      { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot.' }] },
      { role: 'user', content: 'y' },
      { role: 'assistant', content: null, refusal: 'Still no.' },
    ]);
    expect(messages).toContainEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'I cannot.' }],
    });
    expect(messages).toContainEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Still no.' }],
    });
  });
});

/**
 * The class property: a random conversation built from every role, part type and field the
 * translation knows (each text a unique marker) translates with every marker and every cache
 * marker present in the result; the same conversation with one unknown field added to any of
 * its objects is refused, naming exactly that field.
 */
describe('OpenAI messages → Anthropic: nothing is dropped silently (property)', () => {
  const HOLE = '§';
  const marker = fc.constant(HOLE);
  const cache = fc.option(fc.constantFrom(EPHEMERAL, { type: 'ephemeral', ttl: '5m' }), {
    nil: undefined,
  });
  const withCache = <T extends JsonObject>(part: fc.Arbitrary<T>) =>
    fc.tuple(part, cache).map(([p, c]) => (c === undefined ? p : { ...p, cache_control: c }));
  const text = withCache(fc.record({ type: fc.constant('text'), text: marker }));
  const refusal = withCache(fc.record({ type: fc.constant('refusal'), refusal: marker }));
  const image = withCache(
    fc.record({
      type: fc.constant('image_url'),
      image_url: fc.record(
        {
          url: fc.constantFrom(`data:image/jpg;base64,${HOLE}`, `https://x.test/${HOLE}`),
          detail: fc.constantFrom('auto', 'high'),
        },
        { requiredKeys: ['url'] },
      ),
    }),
  );
  const file = withCache(
    fc.record({
      type: fc.constant('file'),
      file: fc.record(
        { file_data: fc.constant(`data:application/pdf;base64,${HOLE}`), filename: marker },
        { requiredKeys: ['file_data'] },
      ),
    }),
  );
  const content = (part: fc.Arbitrary<JsonObject>) =>
    fc.oneof(marker, fc.array(part, { minLength: 1, maxLength: 3 }));
  const call = fc.record({
    id: marker,
    type: fc.constant('function'),
    function: fc.record({ name: marker, arguments: fc.constant(`{"k":"${HOLE}"}`) }),
  });
  const message = fc.oneof(
    fc.record({ role: fc.constantFrom('system', 'developer'), content: content(text) }),
    fc.record({ role: fc.constant('user'), content: content(fc.oneof(text, image, file)) }),
    fc.record(
      {
        role: fc.constant('assistant'),
        content: content(fc.oneof(text, refusal)),
        refusal: marker,
        tool_calls: fc.array(call, { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: ['role', 'content'] },
    ),
    fc.record({ role: fc.constant('tool'), tool_call_id: marker, content: content(text) }),
  );
  const conversation = fc.array(message, { minLength: 1, maxLength: 6 }).map(stamp);

  it('every marker survives, and one unknown field anywhere is refused by path', () => {
    fc.assert(
      fc.property(conversation, fc.nat(), ({ messages, markers }, pick) => {
        const request = send(messages);
        const out = JSON.stringify(request);
        for (const m of markers) expect(out).toContain(m);
        expect(countKey(request, 'cache_control')).toBe(countKey(messages, 'cache_control'));

        const copy = structuredClone(messages);
        const objects = objectsIn(copy, 'messages');
        const [path, target] = objects[pick % objects.length]!;
        target.x_future = 1;
        expect(() => send(copy)).toThrow(notSupported(`${path}.x_future`));
      }),
      { numRuns: 300 },
    );
  });
});

/** Replaces every hole with a unique base64-safe marker. */
function stamp(messages: unknown[]): { messages: unknown[]; markers: string[] } {
  const markers: string[] = [];
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replaceAll('§', () => {
        const m = `Mk${markers.length}x`;
        markers.push(m);
        return m;
      });
    }
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return { messages: walk(messages) as unknown[], markers };
}

function objectsIn(value: unknown, path: string): [string, JsonObject][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => objectsIn(v, `${path}.${i}`));
  if (typeof value !== 'object' || value === null) return [];
  const object = value as JsonObject;
  const inner = Object.entries(object).flatMap(([k, v]) => objectsIn(v, `${path}.${k}`));
  return [[path, object], ...inner];
}

function countKey(value: unknown, key: string): number {
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + countKey(v, key), 0);
  if (typeof value !== 'object' || value === null) return 0;
  return Object.entries(value).reduce((n, [k, v]) => n + (k === key ? 1 : 0) + countKey(v, key), 0);
}
