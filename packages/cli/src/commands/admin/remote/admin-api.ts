import { readFile } from 'node:fs/promises';
import * as oauth from 'oauth4webapi';
import { EXIT } from '../../../exit-codes.js';
import { CredentialsFile, defaultCredentialsPath, type StoredLogin } from './credentials.js';
import { importDpopKey } from './dpop-key.js';
import { discover, gatewayUrl, insecureFor, urlKey, UsageError } from './gateway-url.js';

/** The flags every admin verb takes in remote mode. */
export interface RemoteFlags {
  readonly url?: string;
  readonly tokenEnv?: string;
  readonly tokenFile?: string;
  readonly credentials?: string;
}

/** An RFC 9457 problem as the gateway sends it (only what is shown). */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
}

export type ApiResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly problem: Problem };

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_TOKEN_FILE_BYTES = 16 * 1024;
/** Refresh this long before the access token expires, for clock skew and the request's flight. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * A client of one gateway's admin API (`/admin/v1`), authenticated in one of two ways:
 * a bearer access token from `--token-env VAR` or `--token-file FILE` (obtained elsewhere, e.g.
 * from an external issuer; sent as is), or else the login `rampart admin login` stored for this
 * URL: a DPoP-bound token, a fresh proof per request (retried once with the server's nonce on
 * `use_dpop_nonce`), refreshed with the rotating refresh token when it is about to expire or
 * the gateway says it has — the new refresh token is stored before the request is sent again.
 * Tokens are never printed.
 */
export class AdminApi {
  readonly #base: URL;
  readonly #auth: Authorizer;

  private constructor(base: URL, auth: Authorizer) {
    this.#base = base;
    this.#auth = auth;
  }

  static async open(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): Promise<AdminApi> {
    const base = gatewayUrl(flags.url ?? '');
    if (flags.tokenEnv !== undefined && flags.tokenFile !== undefined) {
      throw new UsageError('give --token-env or --token-file, not both');
    }
    if (flags.tokenEnv !== undefined) {
      const token = env[flags.tokenEnv];
      if (token === undefined || token.trim() === '') {
        throw new UsageError(`--token-env ${flags.tokenEnv}: the variable is unset or empty`);
      }
      return new AdminApi(base, new BearerAuthorizer(token.trim()));
    }
    if (flags.tokenFile !== undefined) {
      return new AdminApi(base, new BearerAuthorizer(await readTokenFile(flags.tokenFile)));
    }
    const file = new CredentialsFile(flags.credentials ?? defaultCredentialsPath(env));
    const login = await file.get(urlKey(base));
    if (login === undefined) {
      throw new UsageError(
        `not logged in to ${urlKey(base)}. Fix: rampart admin login --url ${urlKey(base)} (or pass --token-env / --token-file)`,
      );
    }
    return new AdminApi(base, await LoginAuthorizer.open(base, file, login));
  }

  /** One admin API call; `path` is below `/admin/v1`. Network failures throw UsageError. */
  async request(method: Method, path: string, body?: unknown): Promise<ApiResult> {
    const url = new URL(`${urlKey(this.#base)}/admin/v1${path}`);
    let response = await this.#auth.send(method, url, body);
    if (response.status === 401 && (await this.#auth.renewAfter(response))) {
      response = await this.#auth.send(method, url, body);
    }
    return read(response);
  }
}

interface Authorizer {
  send(method: Method, url: URL, body: unknown): Promise<Response>;
  /** After a 401: whether the credentials were renewed and the request is worth one retry. */
  renewAfter(response: Response): Promise<boolean>;
}

class BearerAuthorizer implements Authorizer {
  constructor(private readonly token: string) {}

  send(method: Method, url: URL, body: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return reach(url, () =>
      fetch(url, {
        method,
        headers,
        redirect: 'error',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  }

  renewAfter(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

class LoginAuthorizer implements Authorizer {
  #login: StoredLogin;
  #renewed = false;

  private constructor(
    private readonly base: URL,
    private readonly file: CredentialsFile,
    login: StoredLogin,
    private readonly dpop: oauth.DPoPHandle,
  ) {
    this.#login = login;
  }

  static async open(base: URL, file: CredentialsFile, login: StoredLogin) {
    const client: oauth.Client = { client_id: login.clientId };
    let keyPair: oauth.CryptoKeyPair;
    try {
      keyPair = await importDpopKey(login.dpopKey);
    } catch {
      throw new UsageError(
        `${file.path}: the stored DPoP key is unusable. Fix: rampart admin login --url ${urlKey(base)}`,
      );
    }
    return new LoginAuthorizer(base, file, login, oauth.DPoP(client, keyPair));
  }

  async send(method: Method, url: URL, body: unknown): Promise<Response> {
    if (this.#login.accessTokenExpiresAt - EXPIRY_MARGIN_MS <= Date.now()) await this.#refresh();
    const headers = new Headers({ accept: 'application/json' });
    if (body !== undefined) headers.set('content-type', 'application/json');
    const payload = body === undefined ? null : JSON.stringify(body);
    const once = () =>
      oauth.protectedResourceRequest(this.#login.accessToken, method, url, headers, payload, {
        DPoP: this.dpop,
        ...insecureFor(this.base),
      });
    return reach(url, async () => {
      try {
        return await once();
      } catch (error) {
        // The handle now holds the nonce the gateway sent: one retry with a proof carrying it.
        if (oauth.isDPoPNonceError(error)) return challenged(() => once());
        if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
        throw error;
      }
    });
  }

  async renewAfter(response: Response): Promise<boolean> {
    if (this.#renewed || this.#login.refreshToken === undefined) return false;
    const problem = await read(response.clone());
    if (problem.ok || problem.problem.code !== 'auth.token_expired') return false;
    await this.#refresh();
    return true;
  }

  async #refresh(): Promise<void> {
    this.#renewed = true;
    const refreshToken = this.#login.refreshToken;
    if (refreshToken === undefined) {
      throw new UsageError(
        `the login to ${urlKey(this.base)} expired. Fix: rampart admin login --url ${urlKey(this.base)}`,
      );
    }
    const client: oauth.Client = { client_id: this.#login.clientId };
    const as = await reach(this.base, () => discover(this.base));
    const grant = () =>
      oauth
        .refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, {
          DPoP: this.dpop,
          ...insecureFor(this.base),
        })
        .then((response) => oauth.processRefreshTokenResponse(as, client, response));
    let tokens: oauth.TokenEndpointResponse;
    try {
      tokens = await grant().catch((error: unknown) => {
        if (oauth.isDPoPNonceError(error)) return grant();
        throw error;
      });
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) {
        throw new UsageError(
          `the gateway refused to refresh the login (${error.error}). Fix: rampart admin login --url ${urlKey(this.base)}`,
        );
      }
      throw error;
    }
    this.#login = {
      ...this.#login,
      accessToken: tokens.access_token,
      accessTokenExpiresAt: Date.now() + (tokens.expires_in ?? 300) * 1000,
      // Rotation: the old refresh token is spent now; only the new one works.
      refreshToken: tokens.refresh_token ?? this.#login.refreshToken,
    };
    await this.file.put(urlKey(this.base), this.#login);
  }
}

async function challenged(send: () => Promise<Response>): Promise<Response> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  }
}

/** Runs a network call; a failure to reach the gateway becomes a usage/IO error. */
async function reach<T>(url: URL, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof UsageError || error instanceof oauth.ResponseBodyError) throw error;
    if (
      error instanceof TypeError ||
      (error as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_CONFORM'
    ) {
      throw new UsageError(`cannot reach ${url.origin}: ${describe(error)}`);
    }
    throw error;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : 'network error';
}

/** The response as JSON or as a problem; bounded; anything else is a problem of its own. */
async function read(response: Response): Promise<ApiResult> {
  const text = await boundedText(response);
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, status: response.status, body };
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<
    string,
    unknown
  >;
  return {
    ok: false,
    problem: {
      status: response.status,
      code: typeof problem['code'] === 'string' ? problem['code'] : `http.${response.status}`,
      title: typeof problem['title'] === 'string' ? problem['title'] : response.statusText,
      detail: typeof problem['detail'] === 'string' ? problem['detail'] : undefined,
    },
  };
}

async function boundedText(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_RESPONSE_BYTES) throw new UsageError('the gateway sent an oversized response');
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_RESPONSE_BYTES)
    throw new UsageError('the gateway sent an oversized response');
  return new TextDecoder().decode(bytes);
}

async function readTokenFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  if (bytes.length > MAX_TOKEN_FILE_BYTES) {
    throw new UsageError(`${path}: larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
  }
  const token = bytes.toString('utf8').split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (token === '') throw new UsageError(`${path}: empty`);
  return token;
}

/**
 * Prints a refused call as `rampart: <title>: <detail> [<code>]` and returns its exit code:
 * 2 when the request itself was wrong (400s, `account.*` the operator must fix, a gateway
 * error), 1 for a refusal (not allowed, not found, not authenticated).
 */
export function reportProblem(problem: Problem, stderr: NodeJS.WritableStream): number {
  const detail = problem.detail === undefined ? '' : `: ${problem.detail}`;
  stderr.write(`rampart: ${problem.title}${detail} [${problem.code}]\n`);
  if (problem.status >= 500) return EXIT.usage;
  if (
    problem.code.startsWith('account.') ||
    problem.status === 400 ||
    problem.status === 413 ||
    problem.status === 415
  ) {
    return EXIT.usage;
  }
  return EXIT.findings;
}
