import { isRampartError } from '@rampart/core';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import { gatewayError } from '../../errors.js';
import type { AttestationRuntime } from '../../attestation/index.js';
import type { DevicePrincipal, Platform } from '../../attestation/platform.js';
import type { Exchange, Integrity } from '../exchange.js';
import type { Stage } from '../stage.js';
import { anyAttestation, modeFor } from './policy.js';

export { modeFor } from './policy.js';

export interface AttestDeps {
  readonly config: Pick<Config, 'attestation' | 'server'>;
  /** The platforms, challenge store and device registry (attestation/); none: no phase. */
  readonly attestation?: AttestationRuntime | undefined;
}

/** SHA-256 of no bytes, base64url: the body digest of a request without a body. */
const EMPTY_SHA256 = '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU';

/**
 * Stage attest (DESIGN.md, request path 3): did this request come from a genuine, untampered
 * install of the team's app? Evidence is either on the request (an App Attest assertion over
 * this request and its DPoP proof, an App Check token) or recorded against the caller's device
 * key at registration (`/attest/v1`, Android key attestation and Play Integrity) and still
 * valid. The finding goes on `exchange.integrity` for the stages after it (meter can give
 * unattested callers lower limits).
 *
 * The policy (`attestation.policy`) is judged per endpoint and alias: `off` asks nothing and
 * verifies nothing; `preferred` verifies what is presented and lets the rest through; `required`
 * gives an unattested request `onUnattested`: 403 `attest.required`, or the downgrade alias
 * (the `model` of the body is replaced before authorize and parse judge it). Evidence that is
 * presented and fails is refused with its own `attest.*` code under either mode; evidence that
 * cannot be checked now (`attest.unavailable`) is refused when required and recorded as
 * `unavailable` when preferred.
 *
 * Judged in the body phase, where the alias is known; the headers phase only asks the body
 * reader for the digest an App Attest assertion signs.
 */
export function attestStage(deps: AttestDeps): Stage {
  const runtime = deps.attestation;
  if (runtime === undefined || !anyAttestation(runtime.config.policy)) return { name: 'attest' };
  const active: AttestationRuntime = runtime;
  const { policy } = runtime.config;
  const publicUrl = deps.config.server.publicUrl.replace(/\/$/, '');
  const perRequest = [...runtime.platforms.values()].filter(
    (platform): platform is Platform & { header: string } => platform.header !== undefined,
  );

  return {
    name: 'attest',

    headers(exchange, request) {
      if (
        perRequest.some(
          (p) => p.needsBodyDigest === true && request.headers[p.header] !== undefined,
        )
      ) {
        exchange.bodySha256 = null;
      }
    },

    async body(exchange, request) {
      const alias = requestedAlias(request.body);
      const mode = modeFor(policy, exchange.endpoint, alias);
      if (mode === 'off') return;
      let integrity: Integrity;
      try {
        integrity = await judge(exchange, request);
      } catch (error) {
        if (mode === 'preferred' && isRampartError(error) && error.code === 'attest.unavailable') {
          integrity = { status: 'unavailable' };
        } else {
          throw error;
        }
      }
      exchange.integrity = integrity;
      if (mode !== 'required' || integrity.status === 'attested') return;
      const fallback = policy.onUnattested;
      if (fallback.action === 'downgrade' && fallback.alias !== undefined && alias !== undefined) {
        (request.body as Record<string, unknown>)['model'] = fallback.alias;
        exchange.integrity = { ...integrity, downgradedFrom: alias };
        return;
      }
      throw gatewayError(
        'attest.required',
        'This route accepts requests only from an attested install of the app.',
      );
    },
  };

  async function judge(exchange: Exchange, request: FastifyRequest): Promise<Integrity> {
    const principal = exchange.principal;
    const presented = perRequest.filter((p) => typeof request.headers[p.header] === 'string');
    if (principal?.deviceJkt === undefined) {
      if (presented.length > 0) {
        throw gatewayError(
          'attest.device_key_required',
          'Attestation is bound to a device key: call with a DPoP-bound access token.',
        );
      }
      return { status: 'unattested' };
    }
    const device = principal as DevicePrincipal;
    for (const platform of presented) {
      await platform.verifyRequest?.({
        principal: device,
        value: request.headers[platform.header] as string,
        method: request.method,
        url: `${publicUrl}${request.url.split('?')[0] ?? ''}`,
        dpopProof: typeof request.headers.dpop === 'string' ? request.headers.dpop : undefined,
        bodySha256: exchange.bodySha256 ?? EMPTY_SHA256,
        now: active.now(),
      });
    }
    const first = presented[0];
    if (first !== undefined) return { status: 'attested', platform: first.id };
    const recorded = await active.devices.find({
      tenant: device.tenant ?? '',
      issuer: device.issuer,
      subject: device.subject,
      jkt: device.deviceJkt,
    });
    // A platform with per-request evidence (App Attest) counts only with that evidence.
    if (recorded !== undefined && active.platforms.get(recorded.platform)?.header === undefined) {
      return { status: 'attested', platform: recorded.platform };
    }
    return { status: 'unattested' };
  }
}

/** The `model` the client named, when the body is an object with a string `model`. */
function requestedAlias(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const model = (body as Record<string, unknown>)['model'];
  return typeof model === 'string' ? model : undefined;
}
