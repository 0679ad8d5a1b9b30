import { gatewayError, type GatewayErrorCode } from '../errors.js';
import type { Principal } from '../pipeline/exchange.js';
import type { ChallengeBinding, ChallengeOwner, ChallengeStore } from './challenges.js';
import type { DeviceAttestation } from './device-attestations.js';

/**
 * What every attestation platform offers the gateway (the table is `platforms.ts`): a
 * registration, where the app proves once that a key lives in a genuine install (the result is
 * recorded against its DPoP key), and/or evidence on each request, in a header of its own.
 */
export const PLATFORM_IDS = [
  'android-key-attestation',
  'apple-app-attest',
  'firebase-app-check',
  'play-integrity',
] as const;
export type PlatformId = (typeof PLATFORM_IDS)[number];

/** The caller of an attestation route or of an attested request: it has a device key. */
export type DevicePrincipal = Principal & { readonly deviceJkt: string };

export interface RegistrationContext {
  readonly principal: DevicePrincipal;
  readonly challenges: ChallengeStore;
  /** Epoch milliseconds. */
  readonly now: number;
  /** How long a registration-based attestation holds (`attestation.attestedTtlSeconds`), ms. */
  readonly attestedTtlMs: number;
}

/** What one `/v1` request carries, for a platform that checks evidence per request. */
export interface RequestEvidence {
  readonly principal: DevicePrincipal;
  /** The header value (bounded by the HTTP limits). */
  readonly value: string;
  readonly method: string;
  /** `server.publicUrl` + the path, without query: what the client signed. */
  readonly url: string;
  /** The request's DPoP proof, the per-request challenge of platforms that sign over it. */
  readonly dpopProof: string | undefined;
  /** base64url SHA-256 of the body bytes ('' body for GET). */
  readonly bodySha256: string;
  readonly now: number;
}

export interface Platform {
  readonly id: PlatformId;
  /** `POST /attest/v1/<id>`: verifies the body; returns what to record, or throws `attest.*`. */
  register?(context: RegistrationContext, body: unknown): Promise<DeviceAttestation>;
  /** The request header carrying per-request evidence (lower case). */
  readonly header?: string;
  /** Whether the per-request check needs the body's digest (read before the body phase). */
  readonly needsBodyDigest?: boolean;
  /** Verifies per-request evidence; throws `attest.*` when it is not valid. */
  verifyRequest?(evidence: RequestEvidence): Promise<void>;
}

/** The challenge owner of a device principal. */
export function ownerOf(principal: DevicePrincipal): ChallengeOwner {
  return {
    issuer: principal.issuer,
    tenant: principal.tenant ?? '',
    subject: principal.subject,
    jkt: principal.deviceJkt,
  };
}

/**
 * Spends a challenge of this caller (its device key, or with `binding: 'subject'` any key of
 * its subject), or throws `attest.challenge_invalid`.
 */
export async function spendChallenge(
  context: RegistrationContext,
  challenge: unknown,
  binding: ChallengeBinding = 'device',
): Promise<string> {
  if (typeof challenge !== 'string') {
    throw gatewayError('attest.malformed', 'The challenge is missing.');
  }
  const check = await context.challenges.consume(challenge, ownerOf(context.principal), binding);
  if (check !== 'ok') {
    throw gatewayError(
      'attest.challenge_invalid',
      'The challenge is unknown, expired, used, or was issued to another device. Ask for a new one.',
    );
  }
  return challenge;
}

/** A verifier's refusal as the client sees it: the mapped code, the platform and reason in detail. */
export function refusal(
  platform: PlatformId,
  reason: string,
  code: Extract<GatewayErrorCode, `attest.${string}`>,
) {
  return gatewayError(code, `${platform}: ${reason}.`);
}

/**
 * Runs a query of the gateway's own store (device attestations, App Attest keys): a database
 * that cannot answer is 503 `attest.unavailable` (fail closed, retryable), not a 500.
 */
export async function fromStore<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw gatewayError(
      'attest.unavailable',
      'The attestation store cannot answer; retry shortly.',
      {
        cause: error,
      },
    );
  }
}

/** Decodes base64 or base64url text within a bound, or throws `attest.malformed`. */
export function bytesOf(value: unknown, what: string, maxBytes: number): Uint8Array {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > Math.ceil((maxBytes * 4) / 3) + 4
  ) {
    throw gatewayError('attest.malformed', `${what} is missing or too large.`);
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    throw gatewayError('attest.malformed', `${what} is not base64.`);
  }
  return new Uint8Array(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}
