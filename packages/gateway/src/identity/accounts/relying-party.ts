import { isIP } from 'node:net';
import { gatewayError } from '../../errors.js';

/**
 * The WebAuthn relying party (W3C WebAuthn Level 3 §5.1.3, §13.4.9) derived from
 * `server.publicUrl`: the RP id is its host name and the expected origin its origin. WebAuthn
 * refuses IP addresses as RP ids and treats only `localhost` as a secure context over plain
 * HTTP, so a loopback address (`http://127.0.0.1:8787`, `http://[::1]:8787`) becomes
 * `localhost` with the same port: on a development machine, open the login page at
 * `http://localhost:PORT`.
 */
export interface RelyingParty {
  readonly id: string;
  readonly origin: string;
}

export function relyingPartyFor(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    if (!isLoopbackIp(host)) {
      throw gatewayError(
        'config.invalid',
        'server.publicUrl names an IP address, which WebAuthn refuses as a relying-party id. Fix: set server.publicUrl to a URL with a host name to use passkeys.',
      );
    }
    const port = url.port === '' ? '' : `:${url.port}`;
    return { id: 'localhost', origin: `${url.protocol}//localhost${port}` };
  }
  return { id: url.hostname, origin: url.origin };
}

function isLoopbackIp(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host.startsWith('::ffff:127.');
}
