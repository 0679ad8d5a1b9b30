import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeCbor, type CborValue } from './cbor.js';

/**
 * A software WebAuthn authenticator (W3C WebAuthn Level 3) for tests: it answers the JSON
 * options a server generates (as @simplewebauthn/browser would pass them) with the JSON
 * responses a browser returns, holding a P-256 key per credential (ES256, COSE alg -7) and
 * attesting with format `none`. Every field an attack test needs to get wrong can be
 * overridden: origin, RP id, the UV flag, the counter, the user handle, the signature.
 */

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftwareAuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON (e.g. `http://localhost:8787`). */
  readonly origin: string;
  /** Marks credentials as backed up (a synced passkey): BE and BS flags. Default false. */
  readonly backedUp?: boolean;
}

/** Ways to make one ceremony lie; each is an attack a server must refuse. */
export interface CeremonyOverrides {
  readonly origin?: string;
  /** The RP id whose hash goes into authenticatorData (default: the options' RP id). */
  readonly rpId?: string;
  /** Set the UV flag (default true: the user was verified). */
  readonly userVerified?: boolean;
  /** The signature counter to report instead of the next one. */
  readonly counter?: number;
  /** The user handle to report (base64url) instead of the credential's own. */
  readonly userHandle?: string;
  /** Flip a bit of the signature. */
  readonly tamperSignature?: boolean;
  /** The challenge to sign instead of the options' one. */
  readonly challenge?: string;
  /**
   * Authentication: use this credential (by id) rather than the first for the RP. Registration:
   * make the new credential with this id (a clash a server must refuse).
   */
  readonly credentialId?: string;
}

export interface SoftwareCredential {
  /** base64url credential id. */
  readonly id: string;
  readonly rpId: string;
  /** base64url user handle from the registration options. */
  readonly userHandle: string;
  readonly privateKey: KeyObject;
  /** The last counter this authenticator reported. */
  counter: number;
}

export interface SoftwareAuthenticator {
  readonly credentials: SoftwareCredential[];
  /** Answers `navigator.credentials.create()` options with a RegistrationResponseJSON. */
  register(
    options: Record<string, unknown>,
    overrides?: CeremonyOverrides,
  ): Record<string, unknown>;
  /** Answers `navigator.credentials.get()` options with an AuthenticationResponseJSON. */
  authenticate(
    options: Record<string, unknown>,
    overrides?: CeremonyOverrides,
  ): Record<string, unknown>;
}

export function createSoftwareAuthenticator(
  settings: SoftwareAuthenticatorOptions,
): SoftwareAuthenticator {
  const credentials: SoftwareCredential[] = [];
  const backupFlags = settings.backedUp === true ? FLAG_BE | FLAG_BS : 0;

  return {
    credentials,

    register(options, overrides = {}) {
      const rp = options['rp'] as { id: string };
      const user = options['user'] as { id: string };
      const challenge = overrides.challenge ?? (options['challenge'] as string);
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const coseKey = encodeCbor(
        new Map<number, number | Uint8Array>([
          [1, 2], // kty: EC2
          [3, -7], // alg: ES256
          [-1, 1], // crv: P-256
          [-2, Buffer.from(jwk.x as string, 'base64url')],
          [-3, Buffer.from(jwk.y as string, 'base64url')],
        ]),
      );
      const id =
        overrides.credentialId === undefined
          ? randomBytes(16)
          : Buffer.from(overrides.credentialId, 'base64url');
      const counter = overrides.counter ?? 0;
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(id.length);
      const authData = Buffer.concat([
        authenticatorData(overrides.rpId ?? rp.id, flags(overrides) | FLAG_AT, counter),
        Buffer.alloc(16), // AAGUID: zero for attestation `none`
        idLength,
        id,
        coseKey,
      ]);
      const attestationObject = encodeCbor(
        new Map<string, CborValue>([
          ['fmt', 'none'],
          ['attStmt', new Map<string, CborValue>()],
          ['authData', authData],
        ]),
      );
      const credential: SoftwareCredential = {
        id: id.toString('base64url'),
        rpId: rp.id,
        userHandle: user.id,
        privateKey,
        counter,
      };
      credentials.push(credential);
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        response: {
          clientDataJSON: clientData('webauthn.create', challenge, overrides.origin),
          attestationObject: Buffer.from(attestationObject).toString('base64url'),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },

    authenticate(options, overrides = {}) {
      const rpId = options['rpId'] as string;
      const wanted = overrides.credentialId;
      const credential = credentials.find((c) =>
        wanted === undefined ? c.rpId === rpId : c.id === wanted,
      );
      if (credential === undefined) throw new Error('no credential for this relying party');
      credential.counter = overrides.counter ?? credential.counter + 1;
      const authData = authenticatorData(
        overrides.rpId ?? rpId,
        flags(overrides),
        credential.counter,
      );
      const clientDataJSON = clientData(
        'webauthn.get',
        overrides.challenge ?? (options['challenge'] as string),
        overrides.origin,
      );
      const signed = Buffer.concat([
        authData,
        createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest(),
      ]);
      const signature = sign('sha256', signed, credential.privateKey);
      if (overrides.tamperSignature === true) {
        signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
      }
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        response: {
          clientDataJSON,
          authenticatorData: authData.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: overrides.userHandle ?? credential.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };

  function flags(overrides: CeremonyOverrides): number {
    return FLAG_UP | (overrides.userVerified === false ? 0 : FLAG_UV) | backupFlags;
  }

  function clientData(type: string, challenge: string, origin: string | undefined): string {
    const json = JSON.stringify({
      type,
      challenge,
      origin: origin ?? settings.origin,
      crossOrigin: false,
    });
    return Buffer.from(json).toString('base64url');
  }
}

/** rpIdHash (SHA-256 of the RP id) ‖ flags ‖ big-endian signature counter (WebAuthn §6.1). */
function authenticatorData(rpId: string, flagByte: number, counter: number): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter >>> 0);
  return Buffer.concat([
    createHash('sha256').update(rpId).digest(),
    Uint8Array.of(flagByte),
    count,
  ]);
}
