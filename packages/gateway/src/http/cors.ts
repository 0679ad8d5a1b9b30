import type { FastifyInstance } from 'fastify';
import { gatewayError } from '../errors.js';

// Attestation evidence travels in its own headers (attestation/): App Check exists for web apps.
const ALLOWED_HEADERS =
  'authorization, content-type, dpop, x-request-id, x-firebase-appcheck, rampart-app-attest';
/** What a browser client must read: the challenge and DPoP nonce to retry (RFC 9449 section 9),
 * the rate-limit state to back off (meter), and what the gateway changed in the request. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'www-authenticate',
  'dpop-nonce',
  'ratelimit',
  'ratelimit-policy',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'x-rampart-clamped',
].join(', ');
const ALLOWED_METHODS = 'GET, POST, OPTIONS';

/**
 * CORS with an exact-origin allowlist. Native apps send no `Origin`; a browser request from an
 * origin not on the list is refused outright (403) rather than merely left without CORS headers,
 * so a page on another site cannot make the gateway do work on a user's behalf.
 */
export function installCors(
  app: FastifyInstance,
  origins: readonly string[],
  maxAgeSeconds: number,
  /** The gateway's own origin (`server.publicUrl`): its login pages post to it, not cross-origin. */
  ownOrigin?: string,
): void {
  const allowed = new Set(origins);
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined || origin === ownOrigin) {
      done();
      return;
    }
    if (!allowed.has(origin)) {
      done(gatewayError('cors.origin_denied', 'This origin may not call the API from a browser.'));
      return;
    }
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', ALLOWED_METHODS);
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', String(maxAgeSeconds));
      void reply.code(204).send();
      return;
    }
    done();
  });
}
