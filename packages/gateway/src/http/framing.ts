import type { RampartError } from '@rampart/core';
import type { FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';

/**
 * The header count (`limits.maxHeaderCount`), and framing a request must not leave ambiguous,
 * refused rather than guessed, because a proxy in front may guess differently (the root of
 * request smuggling):
 * - exactly one Host on HTTP/1.1 (RFC 9112 §3.2: none or several is a 400);
 * - no Content-Encoding but identity (a compressed body would escape the size bounds);
 * - no Expect but 100-continue (RFC 9110 §10.1.1: anything else is a 417).
 */
export function framingProblem(
  request: FastifyRequest,
  maxHeaderCount: number,
): RampartError | undefined {
  const raw = request.raw;
  // Node keeps one header more than allowed (limits/server.ts) so that too many is visible.
  if (raw.rawHeaders.length / 2 > maxHeaderCount) {
    return gatewayError(
      'request.headers_too_large',
      `More than ${maxHeaderCount} request headers.`,
    );
  }
  // `headers.host` keeps one of several; only the raw list shows them all.
  let hosts = 0;
  const names = raw.rawHeaders;
  for (let i = 0; i < names.length; i += 2) {
    if (names[i]?.toLowerCase() === 'host') hosts++;
  }
  const needsHost = raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1;
  if (hosts > 1 || (hosts === 0 && needsHost)) {
    return gatewayError(
      'request.invalid_host',
      hosts > 1
        ? 'The request carries more than one Host header.'
        : 'The request has no Host header.',
    );
  }
  const encoding = raw.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return gatewayError(
      'request.unsupported_content_encoding',
      'Send the body without Content-Encoding (compressed bodies are not accepted).',
    );
  }
  const expect = raw.headers.expect;
  if (expect !== undefined && expect.trim().toLowerCase() !== '100-continue') {
    return gatewayError('request.expectation_failed', 'Only "Expect: 100-continue" is supported.');
  }
  return undefined;
}
