import { EXIT } from '../exit-codes.js';

/** One line for the operator and the exit code, for an error the gateway's listen() raised. */
export interface ListenFailure {
  readonly code: number;
  readonly message: string;
}

/**
 * Recognises the ways binding `host`:`port` fails and says each in one line with its fix;
 * undefined for any other error (which then surfaces as it is).
 */
export function listenFailure(
  error: unknown,
  host: string,
  port: number,
): ListenFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, hostname } = error as NodeJS.ErrnoException & { hostname?: string };
  const where = `port ${port} on ${host}`;
  const portHint = 'set RAMPART_PORT (or server.port) to a free port';
  if (syscall === 'listen') {
    switch (code) {
      case 'EADDRINUSE':
        return {
          code: EXIT.portInUse,
          message: `${where} is already in use (another rampart or another program listens there). Fix: stop it, or ${portHint}`,
        };
      case 'EACCES':
        return {
          code: EXIT.cannotListen,
          message: `${where} is not permitted for this user (ports below 1024 need privileges). Fix: ${portHint} of 1024 or above and, if needed, forward the low port to it`,
        };
      case 'EADDRNOTAVAIL':
        return {
          code: EXIT.cannotListen,
          message: `${host} is not an address of this machine, so ${where} cannot be listened on. Fix: set server.host to one of this machine's addresses, or 127.0.0.1`,
        };
      default:
        return undefined;
    }
  }
  if (syscall === 'getaddrinfo' && hostname === host) {
    return {
      code: EXIT.cannotListen,
      message: `server.host ${host} does not resolve (${code ?? 'lookup failed'}), so ${where} cannot be listened on. Fix: set server.host to an IP address of this machine, or a name that resolves to one`,
    };
  }
  return undefined;
}
