import { isObject } from '../http/faults.js';
import type { JsonObject } from '../types.js';
import { invalid, notSupported } from './invalid.js';

/**
 * OpenAI content parts → Anthropic content blocks, one part type at a time.
 *
 * Every field of every part is either translated or refused: a part that carries a field this
 * table does not know is refused with its path, so nothing the client sent is silently lost.
 * `cache_control` (Anthropic's prompt-caching marker, which OpenAI clients aimed at Anthropic
 * send as an extension) is carried over onto the block the part becomes.
 */

/** The part types a role may send, as OpenAI defines them. */
export type PartKind = 'text' | 'image_url' | 'file' | 'input_audio' | 'refusal';

export const TEXT_PARTS: ReadonlySet<PartKind> = new Set(['text']);
export const USER_PARTS: ReadonlySet<PartKind> = new Set([
  'text',
  'image_url',
  'file',
  'input_audio',
]);
export const ASSISTANT_PARTS: ReadonlySet<PartKind> = new Set(['text', 'refusal']);

/** Anthropic's image media types; OpenAI accepts the same four. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
/** Spellings OpenAI accepts for those types. */
const IMAGE_ALIASES: Readonly<Record<string, string>> = { 'image/jpg': 'image/jpeg' };

/** A null field counts as absent, as it does for OpenAI. */
const present = (value: unknown): boolean => value !== undefined && value !== null;

/** Refuses any field of `object` outside `known`. */
export function onlyKnown(object: JsonObject, known: readonly string[], path: string): void {
  for (const [key, value] of Object.entries(object)) {
    if (present(value) && !known.includes(key)) throw notSupported(`${path}.${key}`);
  }
}

/** `{type: 'ephemeral', ttl?: '5m' | '1h'}`, rebuilt from its known fields only. */
export function cacheControl(value: unknown, path: string): JsonObject | undefined {
  if (!present(value)) return undefined;
  if (!isObject(value) || value.type !== 'ephemeral') {
    throw invalid(path, "must be {type: 'ephemeral'}");
  }
  onlyKnown(value, ['type', 'ttl'], path);
  if (!present(value.ttl)) return { type: 'ephemeral' };
  if (value.ttl !== '5m' && value.ttl !== '1h')
    throw invalid(`${path}.ttl`, "must be '5m' or '1h'");
  return { type: 'ephemeral', ttl: value.ttl };
}

/**
 * One part → zero or one block. Empty text parts vanish (Anthropic refuses empty text blocks)
 * unless they carry a cache marker, which would then be lost: that is refused.
 */
export function partBlocks(
  part: unknown,
  path: string,
  allowed: ReadonlySet<PartKind>,
): JsonObject[] {
  if (!isObject(part)) throw invalid(path, 'must be an object');
  const kind = part.type;
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    throw notSupported(
      `${path}.type`,
      'is not a content part type supported by provider type anthropic',
    );
  }
  if (!allowed.has(kind as PartKind)) {
    throw notSupported(`${path}.type`, `'${kind}' parts are not supported here`);
  }
  const block = TRANSLATE[kind as PartKind](part, path);
  const marker = cacheControl(part.cache_control, `${path}.cache_control`);
  if (block === undefined) {
    if (marker !== undefined) {
      throw notSupported(`${path}.cache_control`, 'cannot mark an empty text part');
    }
    return [];
  }
  return [marker === undefined ? block : { ...block, cache_control: marker }];
}

type Translate = (part: JsonObject, path: string) => JsonObject | undefined;

const TRANSLATE = {
  file: filePart,
  image_url: imagePart,
  input_audio: (_part, path) => {
    throw notSupported(`${path}.type`, 'audio input is not supported by provider type anthropic');
  },
  refusal: (part, path) => textLike(part, path, 'refusal'),
  text: (part, path) => textLike(part, path, 'text'),
} as const satisfies Record<PartKind, Translate>;

const KINDS: ReadonlySet<string> = new Set(Object.keys(TRANSLATE));

/**
 * A text part, or a refusal part in the history (what the assistant said then; Anthropic only
 * knows text).
 */
function textLike(
  part: JsonObject,
  path: string,
  field: 'text' | 'refusal',
): JsonObject | undefined {
  onlyKnown(part, ['type', field, 'cache_control'], path);
  const text = part[field];
  if (typeof text !== 'string') throw invalid(`${path}.${field}`, 'must be a string');
  return text === '' ? undefined : { type: 'text', text };
}

/**
 * `detail` has no Anthropic equivalent: Anthropic always reads an image at its one resolution
 * (resizing beyond about 1568 px on the long edge). `auto` and `high` describe that; `low`
 * promises a cheap, coarse read it cannot give, so it is refused.
 */
function imagePart(part: JsonObject, path: string): JsonObject {
  onlyKnown(part, ['type', 'image_url', 'cache_control'], path);
  const image = part.image_url;
  const imagePath = `${path}.image_url`;
  if (isObject(image)) {
    onlyKnown(image, ['url', 'detail'], imagePath);
    const { detail } = image;
    if (detail === 'low') {
      throw notSupported(
        `${imagePath}.detail`,
        "'low' is not supported by provider type anthropic",
      );
    }
    if (present(detail) && detail !== 'auto' && detail !== 'high') {
      throw invalid(`${imagePath}.detail`, "must be 'auto', 'low' or 'high'");
    }
  }
  const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined;
  if (typeof url !== 'string') throw invalid(`${imagePath}.url`, 'must be a string');
  if (/^data:/i.test(url)) {
    const source = base64DataUrl(url);
    const mediaType = source && (IMAGE_ALIASES[source.mediaType] ?? source.mediaType);
    if (source === undefined || mediaType === undefined || !IMAGE_TYPES.has(mediaType)) {
      throw invalid(
        `${imagePath}.url`,
        'must be a base64 data URL of a jpeg, png, gif or webp image',
      );
    }
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: source.data } };
  }
  // Anthropic fetches http(s) images itself.
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalid(`${imagePath}.url`, 'must be an http(s) URL or a data URL');
}

/**
 * A PDF sent inline (`file_data` as a base64 data URL) becomes a document block, its `filename`
 * the document's title. A `file_id` names a file in OpenAI's Files API, which Anthropic cannot
 * read.
 */
function filePart(part: JsonObject, path: string): JsonObject {
  onlyKnown(part, ['type', 'file', 'cache_control'], path);
  const file = part.file;
  const filePath = `${path}.file`;
  if (!isObject(file)) throw invalid(filePath, 'must be an object');
  onlyKnown(file, ['file_data', 'file_id', 'filename'], filePath);
  if (present(file.file_id)) {
    throw notSupported(
      `${filePath}.file_id`,
      'OpenAI file ids cannot be read by provider type anthropic; send file_data',
    );
  }
  if (typeof file.file_data !== 'string')
    throw invalid(`${filePath}.file_data`, 'must be a string');
  const source = base64DataUrl(file.file_data);
  if (source === undefined) {
    throw invalid(
      `${filePath}.file_data`,
      'must be a base64 data URL (data:application/pdf;base64,…)',
    );
  }
  if (source.mediaType !== 'application/pdf') {
    throw notSupported(
      `${filePath}.file_data`,
      'only PDF files are supported by provider type anthropic',
    );
  }
  const block: JsonObject = {
    type: 'document',
    source: { type: 'base64', media_type: source.mediaType, data: source.data },
  };
  if (typeof file.filename === 'string') block.title = file.filename;
  else if (present(file.filename)) throw invalid(`${filePath}.filename`, 'must be a string');
  return block;
}

/** `data:<type>;base64,<data>` with the type lower-cased; undefined when not of that form. */
function base64DataUrl(url: string): { mediaType: string; data: string } | undefined {
  const comma = url.indexOf(',');
  if (comma === -1 || !/^data:/i.test(url)) return undefined;
  const header = url.slice(5, comma).trim().toLowerCase();
  if (!header.endsWith(';base64')) return undefined;
  return { mediaType: header.slice(0, -7).trim(), data: url.slice(comma + 1) };
}
