import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import type { Authenticator } from '../pipeline/authenticate/index.js';
import type { AttestationRuntime } from './index.js';
import { ownerOf, PLATFORM_IDS, type DevicePrincipal, type PlatformId } from './platform.js';

export const ATTEST_PREFIX = '/attest/v1';

/** Attestation objects are a few KiB (App Attest ~5.3 KB, a key attestation chain ~4 KB). */
const MAX_ATTEST_BODY_BYTES = 64 * 1024;

/**
 * The app-facing attestation API (docs/attestation.md), authenticated like `/v1` (a DPoP-bound
 * access token: attestation is bound to the device key, so bearer tokens and service keys get
 * 403 `attest.device_key_required`):
 *
 * - `POST /attest/v1/challenges` → 201 `{ challenge, expiresIn }`: single use, bound to the
 *   caller's subject and device key, valid `attestation.challengeTtlSeconds`.
 * - `POST /attest/v1/<platform>` (`apple-app-attest`, `play-integrity`, …) → 201
 *   `{ platform, attestedUntil }`: the platform's registration; 404
 *   `attest.platform_not_configured` for a platform this gateway does not verify.
 *
 * Refusals are problem+json with `attest.*` codes. Nothing is served without a platform.
 */
export function installAttestationRoutes(
  app: FastifyInstance,
  deps: {
    readonly authenticator?: Authenticator | undefined;
    readonly attestation?: AttestationRuntime | undefined;
  },
): void {
  const { authenticator, attestation } = deps;
  if (authenticator === undefined || attestation === undefined) return;

  const caller = async (request: FastifyRequest, reply: FastifyReply): Promise<DevicePrincipal> => {
    const principal = await authenticator.authenticate(request, reply);
    if (principal.deviceJkt === undefined) {
      throw gatewayError(
        'attest.device_key_required',
        'Attestation is bound to a device key: call with a DPoP-bound access token.',
      );
    }
    return principal as DevicePrincipal;
  };

  void app.register(
    (api, _options, done) => {
      // The app replaces every parser with one that reads nothing (app.ts): registration bodies
      // are JSON, parsed here within the route's bound, `__proto__` and `constructor` refused.
      api.addContentTypeParser(
        'application/json',
        { parseAs: 'string', bodyLimit: MAX_ATTEST_BODY_BYTES },
        api.getDefaultJsonParser('error', 'error'),
      );
      api.post('/challenges', async (request, reply) => {
        const principal = await caller(request, reply);
        const ttlSeconds = attestation.config.challengeTtlSeconds;
        const challenge = await attestation.challenges.issue(ownerOf(principal), ttlSeconds * 1000);
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ challenge, expiresIn: ttlSeconds });
      });
      api.post<{ Params: { platform: string } }>(
        '/:platform',
        { bodyLimit: MAX_ATTEST_BODY_BYTES },
        async (request, reply) => {
          const principal = await caller(request, reply);
          const id = request.params.platform as PlatformId;
          const platform = PLATFORM_IDS.includes(id) ? attestation.platforms.get(id) : undefined;
          if (platform?.register === undefined) {
            throw gatewayError(
              'attest.platform_not_configured',
              'This gateway does not verify that platform at registration.',
            );
          }
          const now = attestation.now();
          const state = await platform.register(
            {
              principal,
              challenges: attestation.challenges,
              now,
              attestedTtlMs: attestation.config.attestedTtlSeconds * 1000,
            },
            request.body,
          );
          await attestation.devices.record(
            {
              tenant: principal.tenant ?? '',
              issuer: principal.issuer,
              subject: principal.subject,
              jkt: principal.deviceJkt,
            },
            state,
          );
          return reply
            .code(201)
            .header('cache-control', 'no-store')
            .send({
              platform: state.platform,
              attestedUntil: new Date(state.expiresAt).toISOString(),
            });
        },
      );
      done();
    },
    { prefix: ATTEST_PREFIX },
  );
}
