import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

/**
 * The gateway's pino logger. Defence in depth against secrets in logs: known secret-bearing
 * fields are redacted by path, and error messages and stacks are scrubbed of anything shaped
 * like a bearer token or provider key before they are written.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers.dpop',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  'body',
  '*.body',
  'messages',
  '*.messages',
];

const SECRET_SHAPES: readonly RegExp[] = [
  /\b(bearer|basic|dpop)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{12,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\b(?:gsk|xai|hf)_[A-Za-z0-9]{16,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  /(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/g,
  /(rediss?:\/\/[^:/\s@]*:)[^@\s]+@/g,
];

export function scrubSecrets(text: string): string {
  let out = text;
  for (const shape of SECRET_SHAPES) {
    out = out.replace(shape, (match: string, prefix: unknown) =>
      typeof prefix === 'string' && (prefix.startsWith('postgres') || prefix.startsWith('redis'))
        ? `${prefix}[REDACTED]@`
        : '[REDACTED]',
    );
  }
  return out;
}

function errorSerializer(error: Error): Record<string, unknown> {
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of ['message', 'stack'] as const) {
    const value = serialized[key];
    if (typeof value === 'string') serialized[key] = scrubSecrets(value);
  }
  return serialized;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'rampart-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: errorSerializer, error: errorSerializer },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
