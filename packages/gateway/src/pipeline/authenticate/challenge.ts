import type { RampartError } from '@rampart/core';
import { gatewayError, type GatewayErrorCode } from '../../errors.js';
import { WWW_AUTHENTICATE } from '../../http/problem.js';

/** The realm every challenge names (RFC 6750 section 3). */
export const REALM = 'rampart';

/**
 * A refusal of the credentials: the catalogue error whose problem response carries a
 * `WWW-Authenticate` challenge (RFC 6750 section 3 for Bearer). A missing token gets the bare
 * challenge, without an error attribute; any other 401 says `invalid_token` and repeats the
 * description. The description is ours, never a token's content.
 */
export function bearerRefusal(code: GatewayErrorCode, description?: string): RampartError {
  const error = gatewayError(code, description);
  if (error.status !== 401) return error;
  const challenge =
    code === 'auth.token_missing'
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token", error_description="${quotable(error.message)}"`;
  return withChallenge(error, challenge);
}

/** The same error with `challenge` as its `WWW-Authenticate` header. */
export function withChallenge(error: RampartError, challenge: string): RampartError {
  return gatewayError(error.code as GatewayErrorCode, error.message, {
    cause: error.cause,
    extensions: { ...error.extensions, [WWW_AUTHENTICATE]: challenge },
  });
}

/** RFC 6750: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash). */
export function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "'").slice(0, 200);
}
