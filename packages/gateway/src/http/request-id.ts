import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { IpAllowlist } from './ip-allowlist.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Request ids: taken from `X-Request-Id` only when a trusted proxy sent it and it is short and
 * plain (so a client cannot forge log lines or collide with other requests); otherwise new.
 */
export function requestIdGenerator(trustedProxies: IpAllowlist): (req: IncomingMessage) => string {
  return (req) => {
    const incoming = req.headers['x-request-id'];
    if (
      typeof incoming === 'string' &&
      SAFE_ID.test(incoming) &&
      trustedProxies.has(req.socket.remoteAddress)
    ) {
      return incoming;
    }
    return randomUUID();
  };
}
