import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AttestationConfig } from '../../config/attestation-schema.js';
import { gatewayError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import type { X509Certificate } from '@peculiar/x509';
import {
  bytesOf,
  fromStore,
  refusal,
  spendChallenge,
  type DevicePrincipal,
  type Platform,
  type RegistrationContext,
  type RequestEvidence,
} from '../platform.js';
import { APP_ATTEST_CODES } from '../reason-codes.js';
import { verifyAssertion, MAX_ASSERTION_BYTES } from './assertion.js';
import { verifyAttestation, MAX_ATTESTATION_BYTES } from './attestation.js';
import { MAX_CLIENT_DATA_BYTES } from './client-data.js';
import type { AppAttestReason } from './reasons.js';
import { AppAttestKeyRepository, type AppAttestKeyRecord } from './repository.js';

/**
 * Apple App Attest in the gateway (docs/attestation.md):
 *
 * - Registration, `POST /attest/v1/apple-app-attest` with JSON
 *   `{ bundleId, keyId, attestation, clientData }` (base64 / base64url): `clientData` is the UTF-8
 *   JSON `{"challenge":"<from POST /attest/v1/challenges>","jkt":"<the DPoP key thumbprint>"}`
 *   whose SHA-256 the app passed to `attestKey`. The challenge is spent, the jkt must be the
 *   caller's, the attestation verified offline, and the key stored with counter 0 for this
 *   subject and device key.
 * - Each request: header `Rampart-App-Attest: <keyId>.<assertion>.<clientData>` (base64url),
 *   where clientData is `{"challenge","htm","htu","bodySha256"}` (client-data.ts) and its
 *   challenge is the base64url SHA-256 of this request's DPoP proof, which is itself single use:
 *   the assertion is bound to this request, this device key and this body. The counter must
 *   grow, and is advanced atomically in the store.
 */
export const APP_ATTEST_HEADER = 'rampart-app-attest';

const MAX_REGISTRATION_CLIENT_DATA = 1024;

export function appleAppAttestPlatform(
  settings: NonNullable<AttestationConfig['appleAppAttest']>,
  db: Kysely<Database>,
  options: { readonly roots?: readonly X509Certificate[] } = {},
): Platform {
  const keys = new AppAttestKeyRepository(db);
  // The public key and owner of a key id never change: cached, so a request costs one UPDATE.
  const cache = new Map<string, { record: AppAttestKeyRecord; key: KeyObject }>();
  const fail = (reason: AppAttestReason) =>
    refusal('apple-app-attest', reason, APP_ATTEST_CODES[reason]);

  async function keyOf(keyId: string) {
    const hit = cache.get(keyId);
    if (hit !== undefined) return hit;
    const record = await fromStore(() => keys.find(keyId));
    if (record === undefined) return undefined;
    const entry = { record, key: createPublicKey({ key: record.publicKeyJwk, format: 'jwk' }) };
    if (cache.size >= 10_000) cache.clear();
    cache.set(keyId, entry);
    return entry;
  }

  return {
    id: 'apple-app-attest',
    header: APP_ATTEST_HEADER,
    needsBodyDigest: true,

    async register(context: RegistrationContext, body: unknown) {
      const fields = objectOf(body);
      const bundleId = fields['bundleId'];
      if (typeof bundleId !== 'string' || !settings.bundleIds.includes(bundleId)) {
        throw fail('rp_id_mismatch');
      }
      const clientData = bytesOf(fields['clientData'], 'clientData', MAX_REGISTRATION_CLIENT_DATA);
      const binding = registrationBinding(clientData);
      await spendChallenge(context, binding.challenge);
      if (binding.jkt !== context.principal.deviceJkt) {
        throw gatewayError(
          'attest.challenge_mismatch',
          'apple-app-attest: jkt is not the caller’s device key.',
        );
      }
      const verdict = await verifyAttestation({
        attestationObject: bytesOf(fields['attestation'], 'attestation', MAX_ATTESTATION_BYTES),
        keyId: bytesOf(fields['keyId'], 'keyId', 64),
        client: { clientData },
        app: { teamId: settings.teamId, bundleId },
        allowedEnvironments: settings.environments,
        now: () => context.now,
        ...(options.roots === undefined ? {} : { roots: options.roots }),
      });
      if (verdict.outcome !== 'valid') throw fail(verdict.reason);
      const key = verdict.value;
      const stored = await fromStore(() =>
        keys.insert({
          keyId: key.keyId,
          ...ownerColumns(context.principal),
          appId: `${settings.teamId}.${bundleId}`,
          publicKeyJwk: key.publicKeyJwk,
          environment: key.environment,
          receipt: key.receipt,
          createdAt: context.now,
        }),
      );
      if (!stored) throw fail('counter_not_zero');
      return {
        platform: 'apple-app-attest',
        attestedAt: context.now,
        expiresAt: context.now + context.attestedTtlMs,
      };
    },

    async verifyRequest(evidence: RequestEvidence) {
      const parts = evidence.value.split('.');
      if (parts.length !== 3) throw fail('assertion_malformed');
      const [keyId = '', assertion = '', clientData = ''] = parts;
      if (!/^[A-Za-z0-9_-]{43}$/.test(keyId)) throw fail('key_unknown');
      const entry = await keyOf(keyId);
      if (entry === undefined || !ownedBy(entry.record, evidence.principal)) {
        throw fail('key_unknown');
      }
      if (evidence.dpopProof === undefined) throw fail('challenge_mismatch');
      const [teamId = '', ...rest] = entry.record.appId.split('.');
      const verdict = verifyAssertion({
        assertion: bytesOf(assertion, 'assertion', MAX_ASSERTION_BYTES),
        clientData: {
          kind: 'rampart',
          bytes: bytesOf(clientData, 'clientData', MAX_CLIENT_DATA_BYTES),
          expected: {
            challenge: createHash('sha256').update(evidence.dpopProof).digest('base64url'),
            htm: evidence.method,
            htu: evidence.url,
            bodySha256: evidence.bodySha256,
          },
        },
        app: { teamId, bundleId: rest.join('.') },
        key: { publicKey: entry.key, counter: entry.record.counter },
      });
      if (verdict.outcome !== 'valid') throw fail(verdict.reason);
      const advance = await fromStore(() =>
        keys.advanceCounter(keyId, verdict.value.counter, evidence.now),
      );
      if (advance !== 'advanced') throw fail(advance);
    },
  };
}

function ownerColumns(principal: DevicePrincipal) {
  return {
    tenant: principal.tenant ?? '',
    issuer: principal.issuer,
    subject: principal.subject,
    deviceJkt: principal.deviceJkt,
  };
}

function ownedBy(record: AppAttestKeyRecord, principal: DevicePrincipal): boolean {
  return (
    record.tenant === (principal.tenant ?? '') &&
    record.issuer === principal.issuer &&
    record.subject === principal.subject &&
    record.deviceJkt === principal.deviceJkt
  );
}

function objectOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw gatewayError('attest.malformed', 'Expected a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** The registration client data: exactly `{challenge, jkt}`, both strings. */
function registrationBinding(bytes: Uint8Array): { challenge: string; jkt: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw gatewayError('attest.malformed', 'apple-app-attest: clientData is not JSON.');
  }
  const record =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const { challenge, jkt } = record;
  if (
    Object.keys(record).length !== 2 ||
    typeof challenge !== 'string' ||
    typeof jkt !== 'string'
  ) {
    throw gatewayError(
      'attest.malformed',
      'apple-app-attest: clientData must be {challenge, jkt}.',
    );
  }
  return { challenge, jkt };
}
