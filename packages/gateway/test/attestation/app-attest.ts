import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { X509Certificate } from '@peculiar/x509';
import {
  rampartClientData,
  type AppAttestMintOptions,
  type MintedAttestation,
  type MockAppAttestCa,
} from '@rampart/testkit';
import { challengeFor, PUBLIC_URL, send, type AttestedGateway, type Device } from './gateway.js';

/**
 * What an iOS app does with App Attest against the gateway (docs/attestation.md), with the
 * testkit's mock Apple CA: register a key once, then sign each request with an assertion.
 */
export const TEAM_ID = 'ABCDE12345';
export const BUNDLE_ID = 'com.example.rampart';

export function appleSection(): Record<string, unknown> {
  return { teamId: TEAM_ID, bundleIds: [BUNDLE_ID], environments: ['production'] };
}

export function rootsOf(ca: MockAppAttestCa): X509Certificate[] {
  return [new X509Certificate(ca.rootPem)];
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export interface RegisteredKey extends MintedAttestation {
  /** The key id as the header carries it (base64url). */
  readonly id: string;
}

/** The JSON body of `POST /attest/v1/apple-app-attest` for a freshly minted key. */
export async function registrationBody(
  gw: AttestedGateway,
  ca: MockAppAttestCa,
  from: Device,
  overrides: {
    readonly jkt?: string;
    readonly challenge?: string;
    readonly bundleId?: string;
    readonly mint?: Partial<AppAttestMintOptions>;
  } = {},
): Promise<{ body: Record<string, string>; key: RegisteredKey }> {
  const challenge = overrides.challenge ?? (await challengeFor(gw, from));
  const clientData = Buffer.from(JSON.stringify({ challenge, jkt: overrides.jkt ?? from.jkt }));
  const minted = await ca.attest({
    teamId: TEAM_ID,
    bundleId: BUNDLE_ID,
    environment: 'production',
    clientData,
    now: new Date(gw.clock.now),
    ...overrides.mint,
  });
  return {
    body: {
      bundleId: overrides.bundleId ?? BUNDLE_ID,
      keyId: b64url(minted.keyId),
      attestation: Buffer.from(minted.attestationObject).toString('base64'),
      clientData: b64url(clientData),
    },
    key: { ...minted, id: b64url(minted.keyId) },
  };
}

/** Registers a new App Attest key for `from`; throws unless 201. */
export async function registerKey(
  gw: AttestedGateway,
  ca: MockAppAttestCa,
  from: Device,
): Promise<RegisteredKey> {
  const { body, key } = await registrationBody(gw, ca, from);
  const response = await send(gw, from, 'POST', '/attest/v1/apple-app-attest', body);
  if (response.status !== 201) {
    throw new Error(`registration refused: ${response.status} ${await response.text()}`);
  }
  return key;
}

export interface AssertedRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** The JSON text sent (none for GET). */
  readonly body?: string;
  readonly counter: number;
  /** What the assertion's client data claims, where it differs from the request sent. */
  readonly signed?: { readonly path?: string; readonly body?: string; readonly dpop?: string };
}

/** The `Rampart-App-Attest` header over one request and its DPoP proof. */
export function assertionHeader(
  ca: MockAppAttestCa,
  key: RegisteredKey,
  request: AssertedRequest,
  dpopProof: string,
): string {
  const clientData = rampartClientData({
    challenge: createHash('sha256')
      .update(request.signed?.dpop ?? dpopProof)
      .digest('base64url'),
    htm: request.method,
    htu: `${PUBLIC_URL}${request.signed?.path ?? request.path}`,
    body: request.signed?.body ?? request.body ?? '',
  });
  const assertion = ca.assert(key, {
    teamId: TEAM_ID,
    bundleId: BUNDLE_ID,
    clientData,
    counter: request.counter,
  });
  return `${key.id}.${b64url(assertion)}.${b64url(clientData)}`;
}

/** Sends `request` from `from`, asserted with `key` (unless `key` is undefined). */
export async function sendAsserted(
  gw: AttestedGateway,
  ca: MockAppAttestCa,
  from: Device,
  key: RegisteredKey | undefined,
  request: AssertedRequest,
): Promise<Response> {
  const auth = await from.headers(request.method, request.path);
  const headers: Record<string, string> = { ...auth };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (key !== undefined) {
    headers['rampart-app-attest'] = assertionHeader(ca, key, request, auth.dpop ?? '');
  }
  return fetch(`${gw.url}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}
