import { isRampartError } from '@rampart/core';
import { gatewayError } from '../../errors.js';
import type { JsonObject } from '../types.js';
import { isObject } from '../http/faults.js';

/**
 * The request paths the gateway added to a streamed call on its own (`capabilities.streamUsage`):
 * the whole `stream_options` when the client sent none, else only its `include_usage`.
 */
export function addedStreamPaths(clientBody: JsonObject, streamUsage: boolean): string[] {
  if (!streamUsage) return [];
  const own = clientBody.stream_options;
  if (!isObject(own)) return ['stream_options'];
  return own.include_usage === true ? [] : ['stream_options.include_usage'];
}

/**
 * An upstream refusal that names (in its allowlisted `param`) a field the gateway added is not
 * the client's doing: the app could not fix it, so it must not look like a 400 it caused. It
 * becomes `upstream.rejected` (502), pointing the operator at the capability to turn off. A
 * refusal that names no param cannot be attributed and stays as classified.
 */
export function blameAddedField(error: unknown, added: readonly string[]): unknown {
  if (added.length === 0 || !isRampartError(error) || error.status >= 500) return error;
  const upstream = error.extensions['error'];
  const param = isObject(upstream) ? upstream.param : undefined;
  if (typeof param !== 'string') return error;
  const hit = added.find(
    (path) => param === path || param.startsWith(`${path}.`) || path.startsWith(`${param}.`),
  );
  if (hit === undefined) return error;
  return gatewayError(
    'upstream.rejected',
    `the upstream refused ${hit}, which the gateway adds on its own; the operator can turn it off (providers.<name>.capabilities.streamUsage: false)`,
    { cause: error },
  );
}
