import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { PasskeyRow } from './repository.js';
import type { RelyingParty } from './relying-party.js';
import { signatureIsCanonical } from './signature-encoding.js';

/**
 * The WebAuthn ceremonies through @simplewebauthn/server, with Rampart's policy fixed here:
 * user verification required (UV flag set: Face ID, Touch ID, BiometricPrompt or a PIN),
 * discoverable (resident) credentials, attestation `none` (we need the key, not the make), and
 * the algorithms ES256, EdDSA and RS256 (COSE -7, -8, -257) — never a library default that
 * could grow. Every function returns a result, never throws on hostile input.
 */
const ALGORITHMS = [-7, -8, -257];
const TIMEOUT_MS = 120_000;

export interface RegistrationUser {
  /** The account id: the WebAuthn user handle (never the username). */
  readonly accountId: string;
  readonly username: string;
}

export function registrationOptions(
  rp: RelyingParty,
  rpName: string,
  user: RegistrationUser,
  existing: readonly PasskeyRow[],
) {
  return generateRegistrationOptions({
    rpName,
    rpID: rp.id,
    userName: user.username,
    userID: new TextEncoder().encode(user.accountId),
    timeout: TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({ id: row.id, transports: transportsOf(row) })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

export interface RegisteredPasskey {
  readonly id: string;
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly deviceType: string;
  readonly backedUp: boolean;
}

export async function verifyRegistration(
  rp: RelyingParty,
  response: Record<string, unknown>,
  expectedChallenge: string,
): Promise<RegisteredPasskey | undefined> {
  try {
    const result = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!result.verified || !result.registrationInfo.userVerified) return undefined;
    const info = result.registrationInfo;
    return {
      id: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    };
  } catch {
    return undefined;
  }
}

export function authenticationOptions(rp: RelyingParty) {
  // No allowCredentials: the authenticator offers its discoverable credentials for this RP.
  return generateAuthenticationOptions({
    rpID: rp.id,
    timeout: TIMEOUT_MS,
    userVerification: 'required',
  });
}

export interface VerifiedAssertion {
  readonly newCounter: number;
  readonly backedUp: boolean;
}

/**
 * Verifies an assertion against the stored credential: challenge, origin, RP id, UV flag,
 * signature, and the counter (a non-zero counter not above the stored one is a cloned
 * authenticator, refused).
 */
export async function verifyAssertion(
  rp: RelyingParty,
  response: Record<string, unknown>,
  expectedChallenge: string,
  credential: PasskeyRow,
): Promise<VerifiedAssertion | undefined> {
  const publicKey = new Uint8Array(Buffer.from(credential.public_key, 'base64url'));
  const inner = response['response'];
  const signature =
    typeof inner === 'object' && inner !== null
      ? (inner as Record<string, unknown>)['signature']
      : undefined;
  if (!signatureIsCanonical(signature, publicKey)) return undefined;
  try {
    const result = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: credential.id,
        publicKey,
        counter: Number(credential.counter),
        transports: transportsOf(credential),
      },
      requireUserVerification: true,
    });
    if (!result.verified || !result.authenticationInfo.userVerified) return undefined;
    return {
      newCounter: result.authenticationInfo.newCounter,
      backedUp: result.authenticationInfo.credentialBackedUp,
    };
  } catch {
    return undefined;
  }
}

/** The credential id and user handle a response names, before anything is verified. */
export function assertionIds(
  response: Record<string, unknown>,
): { readonly id: string; readonly userHandle: string | undefined } | undefined {
  const id = response['id'];
  const inner = response['response'];
  if (typeof id !== 'string' || id.length === 0 || id.length > 1024) return undefined;
  if (typeof inner !== 'object' || inner === null) return undefined;
  const handle = (inner as Record<string, unknown>)['userHandle'];
  if (handle !== undefined && (typeof handle !== 'string' || handle.length > 1024)) {
    return undefined;
  }
  return { id, userHandle: handle };
}

function transportsOf(row: PasskeyRow): string[] {
  const parsed: unknown = JSON.parse(row.transports);
  return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
}
