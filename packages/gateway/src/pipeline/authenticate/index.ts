import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import type { Stage } from '../stage.js';
import { bearerRefusal } from './challenge.js';
import { createTokenVerifier } from './verify.js';

export interface AuthenticateDeps {
  readonly config: Pick<Config, 'auth'>;
  /** Milliseconds since the epoch; a frozen clock in tests. */
  readonly now?: () => number;
}

/** `Authorization: <scheme> <token>`: the scheme (lowercased) and the token, or undefined. */
const CREDENTIALS = /^([A-Za-z]+) +([A-Za-z0-9._~+/=-]+) *$/;

/**
 * Stage authenticate: the OAuth 2.0 resource server (DESIGN.md, request path 2). Before the
 * body is read, the access token in `Authorization` is verified against the configured issuer
 * it names (jose, the issuer's JWKS, algorithms pinned) and the caller it proves goes on
 * `exchange.principal`. With no issuer configured (`auth.issuers` empty) the stage has no
 * phase and `/v1` is anonymous. Nothing about the token is logged or echoed.
 */
export function authenticateStage(deps: AuthenticateDeps): Stage {
  const { auth } = deps.config;
  if (auth.issuers.length === 0) return { name: 'authenticate' };
  const verifier = createTokenVerifier(auth.issuers);
  const now = deps.now ?? Date.now;
  return {
    name: 'authenticate',
    async headers(exchange, request) {
      const token = bearerToken(request, auth.maxTokenBytes);
      const verified = await verifier.verify(token, now());
      if (verified.principal.deviceJkt !== undefined) {
        throw bearerRefusal(
          'auth.token_invalid',
          'The token is bound to a DPoP key, which this gateway does not accept yet.',
        );
      }
      exchange.principal = verified.principal;
    },
  };
}

/** The Bearer token of the request, bounded before anything decodes it. */
function bearerToken(request: FastifyRequest, maxTokenBytes: number): string {
  const header = request.headers.authorization;
  if (header === undefined || header.length === 0) {
    throw bearerRefusal(
      'auth.token_missing',
      'Send an access token: Authorization: Bearer <token>.',
    );
  }
  // The scheme and a space (at most `Bearer `) on top of the token itself.
  if (header.length > maxTokenBytes + 16) {
    throw bearerRefusal('auth.token_too_large', 'The access token is too large.');
  }
  const match = CREDENTIALS.exec(header);
  const scheme = match?.[1]?.toLowerCase();
  const token = match?.[2];
  if (scheme !== 'bearer' || token === undefined) {
    throw bearerRefusal(
      'auth.token_missing',
      'Send an access token: Authorization: Bearer <token>.',
    );
  }
  if (token.length > maxTokenBytes) {
    throw bearerRefusal('auth.token_too_large', 'The access token is too large.');
  }
  return token;
}
