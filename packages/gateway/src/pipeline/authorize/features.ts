import type { AuthzFeature } from '../../config/authz-schema.js';

/**
 * The features a chat request body uses (`authz.roles.<role>[].features`), read from the decoded
 * body before the parse stage validates it. The authorize stage runs first on purpose (see its
 * index.ts), so these predicates over-approximate: any value that is not plainly "off" counts as
 * the feature being used. A body whose value is malformed is refused by parse afterwards anyway;
 * what must never happen is a body that parse accepts and the upstream acts on while these say
 * the feature is absent. The walk is bounded by the body itself (limits already bounded its
 * size, depth and key counts) and looks only at the messages' content parts.
 */
export function requestedFeatures(body: unknown): AuthzFeature[] {
  if (!isObject(body)) return [];
  const features: AuthzFeature[] = [];
  const parts = contentPartTypes(body['messages']);
  if (
    isOn(body['audio']) ||
    (Array.isArray(body['modalities']) && body['modalities'].includes('audio')) ||
    parts.some((type) => type.includes('audio'))
  ) {
    features.push('audio');
  }
  if (parts.some((type) => type.includes('image'))) features.push('images');
  if (isOn(body['logprobs']) || isSet(body['top_logprobs'])) features.push('logprobs');
  if (isOn(body['stream'])) features.push('stream');
  if (isUsed(body['tools']) || isUsed(body['functions'])) features.push('tools');
  return features;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Anything but absent, null or false. */
function isOn(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

/** Anything but absent or null (`top_logprobs: 0` still asks for log probabilities). */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Anything but absent, null or an empty list. */
function isUsed(value: unknown): boolean {
  return isSet(value) && !(Array.isArray(value) && value.length === 0);
}

/** The lower-cased `type` of every content part of every message (non-strings as a marker). */
function contentPartTypes(messages: unknown): string[] {
  if (!Array.isArray(messages)) return [];
  const types: string[] = [];
  for (const message of messages) {
    if (!isObject(message)) continue;
    const content = message['content'];
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      if (!isObject(part)) continue;
      const type = part['type'];
      types.push(typeof type === 'string' ? type.toLowerCase() : '');
      // A part that carries an image or audio under any type name counts as one.
      if (isSet(part['image_url'])) types.push('image');
      if (isSet(part['input_audio'])) types.push('audio');
    }
  }
  return types;
}
