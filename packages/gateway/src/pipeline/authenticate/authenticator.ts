import { isRampartError } from '@rampart/core';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import { WWW_AUTHENTICATE } from '../../http/problem.js';
import type { Principal } from '../exchange.js';
import { bearerRefusal, REALM, withChallenge } from './challenge.js';
import {
  dpopChallenge,
  dpopPolicy,
  dpopRefusal,
  verifyDpopProof,
  type DpopPolicy,
} from './dpop.js';
import { MemoryReplayCache, type ReplayCache } from './replay.js';
import { createTokenVerifier, type TrustedIssuer } from './verify.js';

export interface AuthenticateDeps {
  readonly config: Pick<Config, 'auth' | 'server'>;
  /** Milliseconds since the epoch; a frozen clock in tests. */
  readonly now?: () => number;
  /** Where DPoP proof ids are remembered; default in memory (`auth.dpop.maxReplayEntries`). */
  readonly replay?: ReplayCache;
  /** The embedded provider (identity/provider), trusted with the keyring's keys when enabled. */
  readonly localIssuer?: TrustedIssuer | undefined;
}

/** What an authenticator reads of a request: Fastify's request satisfies it. */
export interface CredentialRequest {
  readonly method: string;
  /** The request target as received (path and query), checked against a DPoP proof's `htu`. */
  readonly url: string;
  readonly headers: FastifyRequest['headers'];
}

/**
 * Verifies the caller of one request and returns who it is; throws a RampartError (`auth.*`,
 * 401 with `WWW-Authenticate` per RFC 6750 / RFC 9449, or 503 when the issuer is unreachable)
 * otherwise. The `/v1` authenticate stage and the admin API share it.
 */
export interface Authenticator {
  authenticate(request: CredentialRequest): Promise<Principal>;
}

/**
 * The OAuth 2.0 resource server: the access token in `Authorization` is verified against the
 * configured issuer it names (jose, the issuer's JWKS, algorithms pinned); a token bound to a
 * device key (`cnf.jkt`) must come with the DPoP scheme and a valid proof (RFC 9449). Nothing
 * about the token or the proof is logged or echoed. Undefined when no issuer is configured.
 */
export function createAuthenticator(deps: AuthenticateDeps): Authenticator | undefined {
  const { auth } = deps.config;
  const local = deps.localIssuer === undefined ? [] : [deps.localIssuer];
  if (auth.issuers.length === 0 && local.length === 0) return undefined;
  const verifier = createTokenVerifier(auth.issuers, local);
  const dpop = dpopPolicy(
    deps.config,
    deps.replay ?? new MemoryReplayCache(auth.dpop.maxReplayEntries),
  );
  const now = deps.now ?? Date.now;
  return {
    async authenticate(request) {
      const { scheme, token } = credentials(request, auth.maxTokenBytes, dpop);
      const nowMs = now();
      let verified;
      try {
        verified = await verifier.verify(token, nowMs);
      } catch (error) {
        throw scheme === 'dpop' ? asDpopChallenge(error, dpop) : error;
      }
      const jkt = verified.principal.deviceJkt;
      if (jkt === undefined) {
        if (scheme === 'dpop') {
          throw dpopRefusal(
            dpop,
            'auth.dpop_invalid',
            'The access token is not bound to a DPoP key.',
          );
        }
      } else {
        if (scheme === 'bearer') {
          throw dpopRefusal(
            dpop,
            'auth.dpop_required',
            'The access token is bound to a DPoP key: send it as Authorization: DPoP with a DPoP proof.',
          );
        }
        await verifyDpopProof(
          {
            proof: request.headers.dpop,
            method: request.method,
            url: request.url,
            accessToken: token,
            jkt,
            nowMs,
            clockSkewSeconds: verified.clockSkewSeconds,
          },
          dpop,
        );
      }
      return verified.principal;
    },
  };
}

/** `Authorization: <scheme> <token>`: the scheme and the token (RFC 6750 b64token). */
const CREDENTIALS = /^([A-Za-z]+) +([A-Za-z0-9._~+/=-]+) *$/;

type Scheme = 'bearer' | 'dpop';

/** The scheme and token of the request, bounded before anything decodes the token. */
function credentials(
  request: CredentialRequest,
  maxTokenBytes: number,
  dpop: DpopPolicy,
): { scheme: Scheme; token: string } {
  const missing = () =>
    withChallenge(
      bearerRefusal('auth.token_missing', 'Send an access token: Authorization: Bearer <token>.'),
      `Bearer realm="${REALM}", ${dpopChallenge(dpop)}`,
    );
  const header = request.headers.authorization;
  if (header === undefined || header.length === 0) throw missing();
  // The scheme and a space (at most `Bearer `) on top of the token itself.
  if (header.length > maxTokenBytes + 16) {
    throw bearerRefusal('auth.token_too_large', 'The access token is too large.');
  }
  const match = CREDENTIALS.exec(header);
  const scheme = match?.[1]?.toLowerCase();
  const token = match?.[2];
  if ((scheme !== 'bearer' && scheme !== 'dpop') || token === undefined) throw missing();
  if (token.length > maxTokenBytes) {
    throw bearerRefusal('auth.token_too_large', 'The access token is too large.');
  }
  return { scheme, token };
}

/** A token refusal under the DPoP scheme is challenged with the DPoP scheme (RFC 9449 7.1). */
function asDpopChallenge(error: unknown, dpop: DpopPolicy): unknown {
  if (!isRampartError(error) || error.extensions[WWW_AUTHENTICATE] === undefined) return error;
  return withChallenge(
    error,
    dpopChallenge(dpop, { code: 'invalid_token', description: error.message }),
  );
}
