import { gatewayError } from '../../errors.js';

/**
 * Client-side refusals of the Anthropic translation. They name the parameter path only, never
 * its value: values are client content (prompts, images) and do not belong in errors or logs.
 */
export function unsupported(parameter: string) {
  const message = 'is not supported by provider type anthropic';
  return gatewayError('request.unsupported_by_provider', `parameter ${parameter} ${message}`, {
    extensions: { errors: [{ path: parameter, message }] },
  });
}

export function invalid(path: string, message: string) {
  return gatewayError('request.invalid_parameter', `${path}: ${message}`, {
    extensions: { errors: [{ path, message }] },
  });
}

/**
 * Valid OpenAI that Anthropic cannot honour (an audio part, `detail: "low"`, a message `name`):
 * refused rather than dropped, naming the path in the dotted form the parse stage uses.
 */
export function notSupported(
  path: string,
  message = 'has no equivalent in provider type anthropic',
) {
  return gatewayError('request.unsupported_by_provider', `${path}: ${message}`, {
    extensions: { errors: [{ path, message }] },
  });
}
