import * as oauth from 'oauth4webapi';
import { CLIENT_ID, CookieJar, csrfOf, REDIRECT_URI } from './provider-gateway.js';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;
export const client: oauth.Client = { client_id: CLIENT_ID };

/** Discovery through oauth4webapi (RFC 8414 / OpenID Connect Discovery). */
export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const response = await oauth.discoveryRequest(url, { algorithm: 'oidc', ...insecure });
  return oauth.processDiscoveryResponse(url, response);
}

export interface Authorization {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
}

/** An authorization request with PKCE S256, as a native app sends it (RFC 8252). */
export async function authorizationRequest(
  as: oauth.AuthorizationServer,
  extra: Record<string, string> = {},
): Promise<Authorization> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint as string);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid offline_access api',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  }).toString();
  return { url, verifier, state };
}

/** One browser step: fetch without following redirects, keeping cookies. */
export async function step(
  jar: CookieJar,
  url: string | URL,
  init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header(), ...init.headers };
  let body: string | undefined;
  if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    redirect: 'manual',
    ...(body === undefined ? {} : { body }),
  });
  jar.store(response);
  return response;
}

export function locationOf(response: Response, base: string): URL {
  const location = response.headers.get('location');
  if (location === null) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location, base);
}

/**
 * Drives the login pages like a browser: username and password, the second factor when asked,
 * "Not now" on the passkey offer; returns the redirect to the app (with `code`).
 */
export async function loginWithPassword(
  issuer: string,
  authorization: Authorization,
  credentials: { username: string; password: string; code?: string },
): Promise<URL> {
  const jar = new CookieJar();
  const start = await step(jar, authorization.url);
  const loginUrl = locationOf(start, issuer);
  let page = await step(jar, loginUrl);
  let response = await step(jar, `${loginUrl.href}/password`, {
    form: {
      csrf: csrfOf(await page.text()),
      username: credentials.username,
      password: credentials.password,
    },
  });
  if (response.status !== 303) throw new Error(`password step answered ${response.status}`);
  page = await step(jar, loginUrl);
  let html = await page.text();
  if (html.includes('Two-step verification')) {
    const verified = await step(jar, `${loginUrl.href}/second-factor`, {
      form: { csrf: csrfOf(html), code: credentials.code ?? '' },
    });
    if (verified.status !== 303) throw new Error(`second factor answered ${verified.status}`);
    page = await step(jar, loginUrl);
    html = await page.text();
  }
  response = await step(jar, `${loginUrl.href}/continue`, { form: { csrf: csrfOf(html) } });
  const resume = locationOf(response, issuer);
  const done = await step(jar, resume);
  return locationOf(done, issuer);
}

/** The code exchange with DPoP (RFC 9449) through oauth4webapi. */
export async function exchangeCode(
  as: oauth.AuthorizationServer,
  authorization: Authorization,
  callback: URL,
  DPoP: oauth.DPoPHandle | undefined,
): Promise<oauth.TokenEndpointResponse> {
  const params = oauth.validateAuthResponse(as, client, callback, authorization.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    REDIRECT_URI,
    authorization.verifier,
    { ...insecure, ...(DPoP === undefined ? {} : { DPoP }) },
  );
  return oauth.processAuthorizationCodeResponse(as, client, response);
}
