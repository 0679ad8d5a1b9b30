import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { gatewayError } from '../../errors.js';
import { ASSET_PATH, LOGIN_SCRIPT, LOGIN_STYLE } from './pages.js';

/** Largest login form or passkey JSON body; a WebAuthn response is a few kilobytes. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * What the login routes need around them, installed in their own Fastify scope: bounded body
 * parsers (forms and JSON, nowhere else outside `/v1`), the security headers of every answer
 * (a strict CSP, no caching, no referrer beyond the gateway's own origin) and the same-origin
 * assets.
 */
export function installLoginHttp(scope: FastifyInstance, redirectTargets: readonly string[]): void {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    // The last POST redirects through the authorization endpoint to the app's redirect URI,
    // which browsers check against form-action too.
    `form-action 'self' ${redirectTargets.join(' ')}`.trim(),
  ].join('; ');
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (_request, body, next) => next(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  scope.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (_request, body, next) => {
      try {
        next(
          null,
          secureJson.parse(body, undefined, { protoAction: 'remove', constructorAction: 'remove' }),
        );
      } catch {
        next(gatewayError('request.malformed_json', 'The body is not valid JSON.'));
      }
    },
  );
  scope.addHook('onSend', (_request, reply, payload, next) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', csp);
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` on the
    // pages' own POSTs (Fetch, "serializing a request origin"), which the CORS hook and the
    // login's Origin check rightly refuse. The app and other sites still get no referrer.
    reply.header('referrer-policy', 'same-origin');
    next(null, payload);
  });
  const asset = (name: string, type: string, body: string | Buffer) =>
    scope.get(`${ASSET_PATH}/${name}`, (_request, reply) => reply.type(type).send(body));
  asset('webauthn.js', 'text/javascript; charset=utf-8', readWebAuthnBundle());
  asset('login.js', 'text/javascript; charset=utf-8', LOGIN_SCRIPT);
  asset('login.css', 'text/css; charset=utf-8', LOGIN_STYLE);
}

/**
 * @simplewebauthn/browser's self-contained browser bundle, served same-origin. Its package
 * exports only the module entry points, so the bundle is found beside them.
 */
function readWebAuthnBundle(): Buffer {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  const root = entry.slice(0, entry.lastIndexOf('/script/'));
  return readFileSync(`${root}/dist/bundle/index.umd.min.js`);
}
