import { isRampartError } from '@rampart/core';
import type { FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { gatewayError } from '../../errors.js';
import type { Config } from '../../config/index.js';
import { WWW_AUTHENTICATE } from '../../http/problem.js';
import type { Principal } from '../exchange.js';
import { SERVICE_KEY_PREFIX } from '../../identity/service-keys/format.js';
import { bearerRefusal, REALM, withChallenge } from './challenge.js';
import {
  dpopChallenge,
  dpopPolicy,
  dpopRefusal,
  verifyDpopProof,
  type DpopPolicy,
} from './dpop.js';
import { createNonceIssuer, type NonceIssuer } from './nonce.js';
import { MemoryReplayCache, type ReplayCache } from './replay.js';
import { createServiceKeyVerifier, type ServiceKeyLookup } from './service-key.js';
import { createTokenVerifier, type TrustedIssuer } from './verify.js';

export interface AuthenticateDeps {
  readonly config: Pick<Config, 'auth' | 'server' | 'identity'>;
  /** Milliseconds since the epoch; a frozen clock in tests. */
  readonly now?: () => number;
  /** Where DPoP proof ids are remembered; default in memory (`auth.dpop.maxReplayEntries`). */
  readonly replay?: ReplayCache;
  /** The embedded provider (identity/provider), trusted with the keyring's keys when enabled. */
  readonly localIssuer?: TrustedIssuer | undefined;
  /** Demo mode's development-token issuer (identity/dev-token), trusted only in demo mode. */
  readonly devIssuer?: TrustedIssuer | undefined;
  /** Where service keys are looked up; required when `auth.serviceKeys.enabled`. */
  readonly serviceKeys?: ServiceKeyLookup | undefined;
  /**
   * The `cookie-secret` versions still usable, current first: the key of server DPoP nonces,
   * needed when `auth.dpop.nonce.required` (server.ts passes the keyring's).
   */
  readonly nonceKeys?: () => readonly KeyObject[];
  /**
   * Called once the caller is verified (token and DPoP proof): the revocation check and the
   * device and session registry (identity/sessions/). Synchronous and cheap; throws a
   * RampartError (`auth.token_revoked`) to refuse.
   */
  readonly admit?: (principal: Principal, nowMs: number) => void;
}

/** Where an authenticator puts response headers: Fastify's reply satisfies it. */
export interface ResponseHeaders {
  header(name: 'dpop-nonce', value: string): unknown;
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
  /** `response` receives a fresh `DPoP-Nonce` when the proof used the previous one. */
  authenticate(request: CredentialRequest, response?: ResponseHeaders): Promise<Principal>;
}

/**
 * True when `/v1` is authenticated: `auth.mode` is `required` (the default; the config refuses it
 * when nothing could authenticate a caller). The authorize stage applies exactly when this holds,
 * so the two never disagree.
 */
export function authenticationConfigured(config: Pick<Config, 'auth'>): boolean {
  return config.auth.mode === 'required';
}

/**
 * The OAuth 2.0 resource server: the access token in `Authorization` is verified against the
 * configured issuer it names (jose, the issuer's JWKS, algorithms pinned); a token bound to a
 * device key (`cnf.jkt`) must come with the DPoP scheme and a valid proof (RFC 9449). Nothing
 * about the token or the proof is logged or echoed. A token starting with `rk_` is a service key
 * (service-key.ts) when `auth.serviceKeys.enabled`. Undefined when neither an issuer nor service
 * keys are configured.
 */
export function createAuthenticator(deps: AuthenticateDeps): Authenticator | undefined {
  const { auth } = deps.config;
  if (!authenticationConfigured(deps.config)) return undefined;
  if (deps.config.identity.enabled && deps.localIssuer === undefined) {
    throw new Error('identity.enabled needs the embedded issuer (AuthenticateDeps.localIssuer)');
  }
  const local = [deps.localIssuer, deps.devIssuer].filter((entry) => entry !== undefined);
  const verifier = createTokenVerifier(auth.issuers, local);
  const dpop = dpopPolicy(
    deps.config,
    deps.replay ?? new MemoryReplayCache(auth.dpop.maxReplayEntries),
    nonceIssuer(auth.dpop.nonce, deps.nonceKeys),
  );
  const now = deps.now ?? Date.now;
  const serviceKeys = serviceKeyVerifier(deps, now);
  return {
    async authenticate(request, response) {
      const { scheme, token } = credentials(request, auth.maxTokenBytes, dpop);
      // A service key (`rk_…`) is not a JWT: its own verifier, never the issuers' (service-key.ts).
      if (token.startsWith(SERVICE_KEY_PREFIX)) {
        if (serviceKeys === undefined) {
          throw bearerRefusal('auth.service_key_invalid', 'Service keys are not accepted here.');
        }
        const dpopPresented = scheme === 'dpop' || request.headers.dpop !== undefined;
        return serviceKeys.verify(token, { dpop: dpopPresented });
      }
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
        const nonce = await verifyDpopProof(
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
        if (nonce !== undefined) response?.header('dpop-nonce', nonce);
      }
      try {
        deps.admit?.(verified.principal, nowMs);
      } catch (error) {
        throw scheme === 'dpop' ? asDpopChallenge(error, dpop) : error;
      }
      return verified.principal;
    },
  };
}

/** Server nonces when the policy requires them; their key must then be given. */
function nonceIssuer(
  policy: Config['auth']['dpop']['nonce'],
  keys: (() => readonly KeyObject[]) | undefined,
): NonceIssuer | undefined {
  if (!policy.required) return undefined;
  if (keys === undefined) {
    throw gatewayError(
      'config.invalid',
      'auth.dpop.nonce.required needs the cookie-secret key to derive nonces from, and none was given.',
    );
  }
  return createNonceIssuer({ keys });
}

/** The service key verifier when `auth.serviceKeys.enabled`; a missing store is a wiring fault. */
function serviceKeyVerifier(deps: AuthenticateDeps, now: () => number) {
  const settings = deps.config.auth.serviceKeys;
  if (!settings.enabled) return undefined;
  if (deps.serviceKeys === undefined) {
    throw new Error(
      'auth.serviceKeys.enabled needs a service key store (AuthenticateDeps.serviceKeys)',
    );
  }
  return createServiceKeyVerifier({
    lookup: deps.serviceKeys,
    now,
    cacheTtlMs: settings.cacheTtlMs,
  });
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
