/**
 * Shape checks for JOSE compact serializations (RFC 7515 section 7.1, RFC 7516 section 7.1),
 * run before any decoding or cryptography: the length is bounded first, then the number of
 * segments, then each segment must be canonical base64url (RFC 7515 section 2: no padding, no
 * other alphabet). Canonical means decoding then re-encoding gives the same text, so no two
 * different strings decode to the same bytes: a token cannot be altered (for example in the
 * unused low bits of its last character) and still verify.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export type CompactShapeProblem = 'too_large' | 'token_malformed';

/**
 * Checks `token` is at most `maxLength` characters of exactly `segments` canonical base64url
 * segments joined by dots. Returns the segments, or the problem found.
 */
export function compactSegments(
  token: string,
  segments: 3 | 5,
  maxLength: number,
): readonly string[] | CompactShapeProblem {
  if (token.length > maxLength) return 'too_large';
  const parts = token.split('.', segments + 1);
  if (parts.length !== segments) return 'token_malformed';
  for (const part of parts) {
    if (!BASE64URL.test(part) || part.length % 4 === 1) return 'token_malformed';
    if (Buffer.from(part, 'base64url').toString('base64url') !== part) return 'token_malformed';
  }
  return parts;
}
