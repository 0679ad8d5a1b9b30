import type { JWTPayload } from 'jose';
import {
  createDpopKey,
  dpopProof,
  startMockIssuer,
  type DpopKey,
  type IssuerAlgorithm,
  type MockIssuer,
} from './identity.js';

/**
 * A test client's credentials, as an app holds them: one device key and an access token from
 * the mock issuer bound to it (`cnf.jkt`), re-minted shortly before it expires, and for each
 * request the `Authorization: DPoP <token>` header with a fresh DPoP proof (RFC 9449: unique
 * `jti`, `htm`, `htu` under the gateway's public URL, `ath`). Minting is done once per token
 * lifetime; a proof is one ES256 signature.
 */

export interface CredentialsOptions {
  /**
   * The gateway's `server.publicUrl`: proofs name `<publicUrl><path>` as `htu`, whatever
   * address the request is actually sent to (the gateway checks `htu` against it).
   */
  readonly publicUrl: string;
  /** The issuer that mints the tokens; default one started here (and closed by `close()`). */
  readonly issuer?: MockIssuer;
  /** `sub`; default `user-1`. */
  readonly subject?: string;
  /** `roles` (the claim `issuerConfig` maps); default none. */
  readonly roles?: readonly string[];
  /** `tenant` (the claim `issuerConfig` maps); default none. */
  readonly tenant?: string;
  readonly acr?: string;
  readonly amr?: readonly string[];
  /** Further claims, merged last (a claim set to undefined is left out). */
  readonly claims?: JWTPayload;
  /** Signing algorithm of the access tokens; default ES256. */
  readonly tokenAlgorithm?: IssuerAlgorithm;
  /** Algorithm of the device key that signs the proofs; default ES256. */
  readonly keyAlgorithm?: IssuerAlgorithm;
  /** Token lifetime in seconds; default 300. A token is re-minted in its last fifth. */
  readonly lifetimeSeconds?: number;
  /** Milliseconds since the epoch, for `iat`/`exp` and proof `iat` (a frozen clock); default now. */
  readonly now?: () => number;
}

/** One entry of the gateway's `auth.issuers` that accepts what these credentials send. */
export interface IssuerConfigEntry {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audiences: string[];
  readonly algorithms: IssuerAlgorithm[];
  readonly claims: { readonly roles: string; readonly tenant: string };
}

export interface ProofRequestOptions {
  /** A server nonce to put in the proof (`nonce`); default the last one a response gave. */
  readonly nonce?: string;
}

export interface Credentials {
  readonly issuer: MockIssuer;
  /** The device key the tokens are bound to. */
  readonly key: DpopKey;
  readonly publicUrl: string;
  readonly issuerConfig: IssuerConfigEntry;
  /**
   * Headers for one request: `{ authorization: 'DPoP <token>', dpop: <proof> }`. `url` is a
   * path (`/v1/chat/completions`) or an absolute URL whose path is taken; query and fragment
   * are not part of `htu`. Call it once per request: each proof has its own `jti`.
   */
  headers(
    method: string,
    url: string | URL,
    options?: ProofRequestOptions,
  ): Promise<CredentialHeaders>;
  /**
   * `Bearer <token>` with a token bound to no key, same claims: for requests framed by hand
   * (raw sockets) where computing a proof is impractical. The gateway accepts it from an
   * issuer because nothing binds it; it is as good as stolen once seen, which is why apps use DPoP.
   */
  bearer(): Promise<string>;
  /** The current DPoP-bound access token (re-minted when close to expiry). */
  accessToken(): Promise<string>;
  /**
   * A `fetch` that adds these headers to every request, as an app's HTTP layer does: pass it
   * to a client SDK (`new OpenAI({ fetch: credentials.fetch })`). It keeps the last
   * `DPoP-Nonce` a response carried and, answered 401 `use_dpop_nonce`, retries once with it.
   */
  readonly fetch: typeof fetch;
  /** Closes the issuer if this helper started it. */
  close(): Promise<void>;
}

/** Request headers as plain lower-case members (what `fetch`, `http.request` and inject take). */
export type CredentialHeaders = { authorization: string; dpop?: string } & Record<string, string>;

/** Credentials for tests: starts a mock issuer unless one is given. */
export async function createCredentials(options: CredentialsOptions): Promise<Credentials> {
  const issuer = options.issuer ?? (await startMockIssuer());
  const owned = options.issuer === undefined;
  const key = await createDpopKey(options.keyAlgorithm ?? 'ES256');
  const alg = options.tokenAlgorithm ?? 'ES256';
  const lifetime = options.lifetimeSeconds ?? 300;
  const clock = options.now ?? Date.now;
  const nowSeconds = () => Math.floor(clock() / 1000);
  const publicUrl = options.publicUrl.replace(/\/$/, '');
  const claims: JWTPayload = {
    sub: options.subject ?? 'user-1',
    ...(options.roles === undefined ? {} : { roles: [...options.roles] }),
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    ...(options.acr === undefined ? {} : { acr: options.acr }),
    ...(options.amr === undefined ? {} : { amr: [...options.amr] }),
    ...options.claims,
  };
  const bound = tokenCache(() =>
    issuer.accessToken(claims, { alg, dpop: key, now: nowSeconds(), expiresIn: lifetime }),
  );
  const unbound = tokenCache(() =>
    issuer.accessToken(claims, { alg, now: nowSeconds(), expiresIn: lifetime }),
  );
  const renewAt = () => nowSeconds() + Math.ceil(lifetime / 5);
  let nonce: string | undefined;

  async function headers(
    method: string,
    url: string | URL,
    proofOptions: ProofRequestOptions = {},
  ): Promise<CredentialHeaders> {
    const token = await bound(renewAt());
    const proofNonce = proofOptions.nonce ?? nonce;
    const proof = await dpopProof(key, {
      htm: method.toUpperCase(),
      htu: publicUrl + pathOf(url),
      accessToken: token,
      iat: nowSeconds(),
      ...(proofNonce === undefined ? {} : { claims: { nonce: proofNonce } }),
    });
    return { authorization: `DPoP ${token}`, dpop: proof };
  }

  const authorizedFetch = async (
    input: string | URL | Request,
    init: RequestInit = {},
  ): Promise<Response> => {
    const method = init.method ?? (input instanceof Request ? input.method : 'GET');
    const url = input instanceof Request ? input.url : input;
    const send = async () => {
      const merged = new Headers(input instanceof Request ? input.headers : undefined);
      new Headers(init.headers).forEach((value, name) => merged.set(name, value));
      for (const [name, value] of Object.entries(await headers(method, url))) {
        merged.set(name, value);
      }
      return fetch(input, { ...init, headers: merged });
    };
    let response = await send();
    const given = response.headers.get('dpop-nonce');
    if (given !== null) nonce = given;
    const challenge = response.headers.get('www-authenticate') ?? '';
    if (
      response.status === 401 &&
      given !== null &&
      challenge.includes('use_dpop_nonce') &&
      replayable(input, init)
    ) {
      await response.body?.cancel();
      response = await send();
      nonce = response.headers.get('dpop-nonce') ?? nonce;
    }
    return response;
  };

  return {
    issuer,
    key,
    publicUrl,
    issuerConfig: issuerConfigOf(issuer, alg),
    headers,
    bearer: async () => `Bearer ${await unbound(renewAt())}`,
    accessToken: () => bound(renewAt()),
    fetch: authorizedFetch,
    close: () => (owned ? issuer.close() : Promise.resolve()),
  };
}

/**
 * The `auth.issuers` entry that trusts `issuer` for tokens signed with `algorithm`, mapping the
 * claims these credentials mint (`roles`, `tenant`).
 */
export function issuerConfigOf(
  issuer: MockIssuer,
  algorithm: IssuerAlgorithm = 'ES256',
): IssuerConfigEntry {
  return {
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audiences: [issuer.audience],
    algorithms: [algorithm],
    claims: { roles: 'roles', tenant: 'tenant' },
  };
}

/** A token minted once and again when it would expire before `validUntil` (concurrent callers share a mint). */
function tokenCache(mint: () => Promise<string>): (validUntil: number) => Promise<string> {
  let current: { token: Promise<string>; exp: number } | undefined;
  return async (validUntil) => {
    if (current === undefined || current.exp < validUntil) {
      const token = mint();
      current = { token, exp: Number.POSITIVE_INFINITY };
      const entry = current;
      try {
        entry.exp = expiryOf(await token);
      } catch (error) {
        if (current === entry) current = undefined;
        throw error;
      }
    }
    return current.token;
  };
}

function expiryOf(jwt: string): number {
  const payload = JSON.parse(
    Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'),
  ) as JWTPayload;
  return payload.exp ?? 0;
}

/** The path of a request target or absolute URL, without query or fragment. */
function pathOf(url: string | URL): string {
  const text = url instanceof URL ? url.href : url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) return new URL(text).pathname;
  const end = text.search(/[?#]/);
  return end === -1 ? text : text.slice(0, end);
}

/** A body that can be sent twice (not a stream already consumed). */
function replayable(input: string | URL | Request, init: RequestInit): boolean {
  if (input instanceof Request) return false;
  return !(init.body instanceof ReadableStream);
}
