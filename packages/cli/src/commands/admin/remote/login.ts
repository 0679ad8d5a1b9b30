import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import * as oauth from 'oauth4webapi';
import { EXIT } from '../../../exit-codes.js';
import { CredentialsFile, defaultCredentialsPath } from './credentials.js';
import { newDpopKey } from './dpop-key.js';
import { discover, gatewayUrl, insecureFor, urlKey, UsageError } from './gateway-url.js';

export interface LoginOptions {
  readonly url: string;
  readonly clientId: string;
  readonly credentials?: string;
  /** Try to open the sign-in URL in the default browser (otherwise it is only printed). */
  readonly open?: boolean;
  /** How long to wait for the browser, in seconds. */
  readonly timeout: string;
}

export interface LoginIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

const processIo = (): LoginIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

/** The loopback path the authorization response comes back to (register it, RFC 8252 7.3). */
export const CALLBACK_PATH = '/callback';
const SCOPE = 'openid offline_access api';

/**
 * `rampart admin login --url U`: OAuth 2.0 for native apps (RFC 8252) against the gateway's
 * embedded provider. A listener on 127.0.0.1 with a random port receives the authorization
 * response (redirect `http://127.0.0.1:<port>/callback`); PKCE S256 and `state` protect the
 * code; a fresh ES256 DPoP key binds the tokens (RFC 9449, also `dpop_jkt` on the authorization
 * request). The user signs in in their browser: the URL is printed, and opened only with
 * `--open`. The tokens and the DPoP private key go into the credentials file (0600), one entry
 * per gateway URL. Exit 0 when logged in, 1 when the provider refused, 2 on usage or I/O errors.
 */
export async function login(options: LoginOptions, io: LoginIo = processIo()): Promise<number> {
  const base = gatewayUrl(options.url);
  const seconds = Number(options.timeout);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new UsageError('--timeout: whole seconds, 1 to 3600');
  }
  const file = new CredentialsFile(options.credentials ?? defaultCredentialsPath(io.env));
  const as = await discover(base).catch((error: unknown) => {
    throw new UsageError(`${urlKey(base)}: no OAuth provider found (${describeError(error)})`);
  });
  if (as.authorization_endpoint === undefined) {
    throw new UsageError(`${urlKey(base)}: the provider publishes no authorization endpoint`);
  }
  const client: oauth.Client = { client_id: options.clientId };
  const { keyPair, jwk } = await newDpopKey();
  const DPoP = oauth.DPoP(client, keyPair);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();

  const listener = await loopbackListener();
  try {
    const redirectUri = `http://127.0.0.1:${listener.port}${CALLBACK_PATH}`;
    const authorize = new URL(as.authorization_endpoint);
    authorize.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: SCOPE,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      dpop_jkt: await DPoP.calculateThumbprint(),
    }).toString();
    io.stderr.write(`Sign in to ${urlKey(base)} in your browser:\n${authorize.href}\n`);
    if (options.open === true) openBrowser(authorize.href);

    const callback = await listener.next(seconds * 1000);
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, client, callback, state);
    } catch (error) {
      io.stderr.write(`rampart: sign-in refused: ${describeError(error)}\n`);
      return EXIT.findings;
    }
    const exchange = () =>
      oauth
        .authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, {
          DPoP,
          ...insecureFor(base),
        })
        .then((response) => oauth.processAuthorizationCodeResponse(as, client, response));
    let tokens: oauth.TokenEndpointResponse;
    try {
      tokens = await exchange().catch((error: unknown) => {
        if (oauth.isDPoPNonceError(error)) return exchange();
        throw error;
      });
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) {
        io.stderr.write(`rampart: the gateway refused the code exchange (${error.error})\n`);
        return EXIT.findings;
      }
      throw error;
    }
    await file.put(urlKey(base), {
      issuer: as.issuer,
      clientId: client.client_id,
      accessToken: tokens.access_token,
      accessTokenExpiresAt: Date.now() + (tokens.expires_in ?? 300) * 1000,
      refreshToken: tokens.refresh_token,
      dpopKey: jwk,
    });
    io.stdout.write(`logged in to ${urlKey(base)} (credentials in ${file.path})\n`);
    return EXIT.ok;
  } finally {
    await listener.close();
  }
}

/**
 * `rampart admin logout --url U`: revokes the stored refresh token (RFC 7009), which ends the
 * grant, then deletes the entry. A revocation the gateway refuses or cannot take keeps the entry
 * (exit 2), so the logout can be retried; `--forget` deletes it anyway.
 */
export async function logout(
  options: { url: string; credentials?: string; forget?: boolean },
  io: LoginIo = processIo(),
): Promise<number> {
  const base = gatewayUrl(options.url);
  const file = new CredentialsFile(options.credentials ?? defaultCredentialsPath(io.env));
  const login = await file.get(urlKey(base));
  if (login === undefined) {
    io.stdout.write(`not logged in to ${urlKey(base)}\n`);
    return EXIT.ok;
  }
  if (login.refreshToken !== undefined) {
    try {
      const as = await discover(base);
      const client: oauth.Client = { client_id: login.clientId };
      const response = await oauth.revocationRequest(as, client, oauth.None(), login.refreshToken, {
        token_type_hint: 'refresh_token',
        ...insecureFor(base),
      } as oauth.RevocationRequestOptions);
      await oauth.processRevocationResponse(response);
    } catch (error) {
      if (options.forget !== true) {
        io.stderr.write(
          `rampart: could not revoke the login at ${urlKey(base)} (${describeError(error)}); the entry is kept. Retry, or pass --forget to delete it anyway\n`,
        );
        return EXIT.usage;
      }
    }
  }
  await file.delete(urlKey(base));
  io.stdout.write(`logged out of ${urlKey(base)}\n`);
  return EXIT.ok;
}

interface LoopbackListener {
  readonly port: number;
  /** The first request to the callback path, as a full URL; rejects after `ms`. */
  next(ms: number): Promise<URL>;
  close(): Promise<void>;
}

const PAGE = (message: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>Rampart</title><p>${message}</p></html>`;

/** An HTTP listener on 127.0.0.1, random port, for one authorization response (RFC 8252 7.3). */
function loopbackListener(): Promise<LoopbackListener> {
  let deliver: ((url: URL) => void) | undefined;
  const received = new Promise<URL>((resolve) => {
    deliver = resolve;
  });
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const headers = {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    };
    if (request.method !== 'GET' || url.pathname !== CALLBACK_PATH || deliver === undefined) {
      response.writeHead(404, headers).end(PAGE('Not found.'));
      return;
    }
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    deliver(new URL(`http://127.0.0.1:${port}${url.pathname}${url.search}`));
    deliver = undefined;
    response
      .writeHead(200, headers)
      .end(PAGE('Signed in. You can close this window and return to the terminal.'));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        next: (ms) =>
          new Promise<URL>((done, fail) => {
            const timer = setTimeout(
              () => fail(new UsageError(`no sign-in within ${ms / 1000} s`)),
              ms,
            );
            void received.then((url) => {
              clearTimeout(timer);
              done(url);
            });
          }),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Best effort: the platform's opener, detached; the printed URL is the fallback. */
function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // The URL is printed above.
  }
}

function describeError(error: unknown): string {
  if (error instanceof oauth.AuthorizationResponseError) return error.error;
  if (error instanceof oauth.ResponseBodyError) return error.error;
  return error instanceof Error ? error.message.slice(0, 200) : 'error';
}
