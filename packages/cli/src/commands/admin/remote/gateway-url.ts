import * as oauth from 'oauth4webapi';

/** Raised for a flag or input the operator must fix (exit 2). */
export class UsageError extends Error {}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The gateway base URL from `--url`, normalised (no trailing slash, no query or fragment): the
 * key of its credentials entry and the issuer of its embedded provider. `https://` only, except
 * plain `http://` to a loopback host (a gateway on this machine): tokens never cross a network
 * in clear.
 */
export function gatewayUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(text.slice(0, 200))}: not a URL`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new UsageError(
      '--url: give the gateway base URL, without credentials, query or fragment',
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new UsageError('--url: https:// only (plain http:// only for a loopback gateway)');
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** The key of a gateway in the credentials file. */
export function urlKey(url: URL): string {
  return url.href.replace(/\/$/, '');
}

/** oauth4webapi refuses http:// unless told; told only for the loopback case gatewayUrl allows. */
export function insecureFor(url: URL): { [oauth.allowInsecureRequests]?: true } {
  return url.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

/** RFC 8414 / OIDC discovery at the gateway: its embedded provider's endpoints. */
export async function discover(url: URL): Promise<oauth.AuthorizationServer> {
  const response = await oauth.discoveryRequest(url, { algorithm: 'oidc', ...insecureFor(url) });
  return oauth.processDiscoveryResponse(url, response);
}

/**
 * The message for a failure the operator must act on (exit 2): a usage error, or an OAuth
 * exchange the gateway answered in a way oauth4webapi refuses (a wrong issuer, a malformed
 * response, an OAuth error). Undefined for anything else, which is a bug and propagates.
 */
export function operatorFailure(error: unknown): string | undefined {
  if (error instanceof UsageError) return error.message;
  if (error instanceof oauth.ResponseBodyError) return `the gateway refused: ${error.error}`;
  if (error instanceof oauth.OperationProcessingError) {
    return `unexpected answer from the gateway: ${error.message}`;
  }
  return undefined;
}
