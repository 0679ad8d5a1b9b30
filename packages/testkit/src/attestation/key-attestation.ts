import { createHash, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AttestationApplicationId,
  AttestationPackageInfo,
  AuthorizationList,
  IntegerSet,
  KeyDescription,
  RootOfTrust,
  SecurityLevel,
  VerifiedBootState,
  id_ce_keyDescription,
} from '@peculiar/asn1-android';

type X509Module = typeof X509;
let x509Module: Promise<X509Module> | undefined;

/**
 * @peculiar/x509 resolves its services through tsyringe, which needs a process-wide Reflect
 * metadata polyfill: both are loaded only when a CA is created, so that importing the testkit
 * (the demo server does) has no such side effect.
 */
function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto);
    return x509;
  })();
  return x509Module;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;

/**
 * A mock Android attestation CA for tests: root → intermediate → leaf, where the leaf carries a
 * KeyDescription extension (OID 1.3.6.1.4.1.11129.2.1.17) serialized with @peculiar/asn1-android
 * exactly as KeyMint writes it. Every property a verifier checks has a knob, so each refusal can be
 * provoked on its own. Keys are ECDSA P-256; nothing here touches the network or today's date
 * (validity is always given explicitly).
 */

export type MockSecurityLevel = 'software' | 'trusted-environment' | 'strongbox';
export type MockBootState = 'verified' | 'self-signed' | 'unverified' | 'failed';

const SECURITY_LEVEL: Record<MockSecurityLevel, SecurityLevel> = {
  software: SecurityLevel.software,
  'trusted-environment': SecurityLevel.trustedEnvironment,
  strongbox: SecurityLevel.strongBox,
};
const BOOT_STATE: Record<MockBootState, VerifiedBootState> = {
  verified: VerifiedBootState.verified,
  'self-signed': VerifiedBootState.selfSigned,
  unverified: VerifiedBootState.unverified,
  failed: VerifiedBootState.failed,
};

/** Validity window of a minted certificate. */
export interface MockValidity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface MintKeyAttestationOptions {
  /** attestationChallenge (default the bytes of "challenge"). */
  readonly challenge?: Uint8Array;
  /** attestationSecurityLevel (default trusted-environment). */
  readonly attestationSecurityLevel?: MockSecurityLevel;
  /** keyMintSecurityLevel (default: the attestation security level). */
  readonly keyMintSecurityLevel?: MockSecurityLevel;
  /** RootOfTrust.verifiedBootState (default verified); `'absent'` leaves the root of trust out. */
  readonly bootState?: MockBootState | 'absent';
  /** RootOfTrust.deviceLocked (default true). */
  readonly deviceLocked?: boolean;
  /** Attested packages (default one: com.example.app, version 1); `[]` leaves the application id out. */
  readonly packages?: readonly { readonly name: string; readonly version: number }[];
  /** SHA-256 digests of the app signing certificates (default one: DEFAULT_SIGNING_DIGEST). */
  readonly signingDigests?: readonly Uint8Array[];
  /** Mint the leaf without the attestation extension. */
  readonly omitExtension?: boolean;
  /** Put these bytes in the extension instead of a KeyDescription. */
  readonly rawExtension?: Uint8Array;
  /** Also put a (copied) attestation extension in the intermediate. */
  readonly extensionOnIntermediate?: boolean;
  /** Issue the chain from a second CA that verifiers do not trust. */
  readonly signedBy?: 'trusted-root' | 'other-root';
  /** Validity of the leaf (default: the CA's default window). */
  readonly leafValidity?: MockValidity;
  /** Validity of the intermediate (default: the CA's default window). */
  readonly intermediateValidity?: MockValidity;
  /** Serial numbers, hex (default: random). */
  readonly leafSerial?: string;
  readonly intermediateSerial?: string;
  /**
   * Forge one more certificate below the leaf, signed with the attested key and carrying its own
   * attestation extension: what an attacker holding a genuine attested key would send to pass
   * off a key of their own.
   */
  readonly extendBelowLeaf?: boolean;
  /** Leave the root out of the returned chain (devices may do so). */
  readonly omitRoot?: boolean;
}

export interface MintedKeyAttestation {
  /** DER certificates, leaf first (the forged one, if asked), then intermediate, then (unless omitted) the root. */
  readonly chain: Uint8Array[];
  /** The attested key pair (its public key is the leaf's). */
  readonly leafKeys: CryptoKeyPair;
  /** Serial numbers of leaf and intermediate, lowercase hex without leading zeros. */
  readonly leafSerial: string;
  readonly intermediateSerial: string;
}

export interface MockKeyAttestationCa {
  /** The root certificate (DER) to trust. */
  readonly rootDer: Uint8Array;
  mint(options?: MintKeyAttestationOptions): Promise<MintedKeyAttestation>;
}

export interface MockKeyAttestationCaOptions {
  /** Validity of the root and the default window of everything minted. */
  readonly validity: MockValidity;
}

/** Default app signing-certificate digest of minted attestations (SHA-256 of "rampart-test-app"). */
export const DEFAULT_SIGNING_DIGEST = new Uint8Array(
  createHash('sha256').update('rampart-test-app').digest(),
);
export const DEFAULT_PACKAGE = { name: 'com.example.app', version: 1 } as const;

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

const generateKeys = (): Promise<CryptoKeyPair> =>
  webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);

const randomSerial = (): string => {
  const bytes = webcrypto.getRandomValues(new Uint8Array(8));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10; // positive, no leading zero byte
  return Buffer.from(bytes).toString('hex');
};

/** The KeyDescription DER a KeyMint TEE would write for these options. */
export function encodeKeyDescription(options: MintKeyAttestationOptions = {}): Uint8Array {
  const level = options.attestationSecurityLevel ?? 'trusted-environment';
  const packages = options.packages ?? [DEFAULT_PACKAGE];
  const applicationId =
    packages.length === 0
      ? undefined
      : new OctetString(
          AsnConvert.serialize(
            new AttestationApplicationId({
              packageInfos: packages.map(
                (pkg) =>
                  new AttestationPackageInfo({
                    packageName: new OctetString(Buffer.from(pkg.name, 'utf8')),
                    version: pkg.version,
                  }),
              ),
              signatureDigests: (options.signingDigests ?? [DEFAULT_SIGNING_DIGEST]).map(
                (digest) => new OctetString(digest),
              ),
            }),
          ),
        );
  const bootState = options.bootState ?? 'verified';
  const description = new KeyDescription({
    attestationVersion: 200,
    attestationSecurityLevel: SECURITY_LEVEL[level],
    keymasterVersion: 200,
    keymasterSecurityLevel: SECURITY_LEVEL[options.keyMintSecurityLevel ?? level],
    attestationChallenge: new OctetString(options.challenge ?? Buffer.from('challenge')),
    uniqueId: new OctetString(0),
    softwareEnforced: new AuthorizationList({
      creationDateTime: 1_700_000_000_000,
      ...(applicationId === undefined ? {} : { attestationApplicationId: applicationId }),
    }),
    teeEnforced: new AuthorizationList({
      purpose: new IntegerSet([2]),
      algorithm: 3,
      keySize: 256,
      ecCurve: 1,
      origin: 0,
      ...(bootState === 'absent'
        ? {}
        : {
            rootOfTrust: new RootOfTrust({
              verifiedBootKey: new OctetString(new Uint8Array(32).fill(7)),
              deviceLocked: options.deviceLocked ?? true,
              verifiedBootState: BOOT_STATE[bootState],
              verifiedBootHash: new OctetString(new Uint8Array(32).fill(9)),
            }),
          }),
      osVersion: 150000,
      osPatchLevel: 202501,
    }),
  });
  return new Uint8Array(AsnConvert.serialize(description));
}

interface Authority {
  readonly keys: CryptoKeyPair;
  readonly certificate: X509.X509Certificate;
}

const caExtensions = (x509: X509Module): X509.Extension[] => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];

async function createRoot(
  x509: X509Module,
  name: string,
  validity: MockValidity,
): Promise<Authority> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name}`,
    ...validity,
    keys,
    signingAlgorithm: SIGNING,
    extensions: caExtensions(x509),
  });
  return { keys, certificate };
}

/**
 * Creates a mock attestation CA (and, lazily, a second untrusted one for `signedBy: 'other-root'`).
 */
export async function createMockKeyAttestationCa(
  options: MockKeyAttestationCaOptions,
): Promise<MockKeyAttestationCa> {
  const x509 = await loadX509();
  const root = await createRoot(x509, 'Rampart Test Attestation Root', options.validity);
  let otherRoot: Authority | undefined;

  const mint = async (
    mintOptions: MintKeyAttestationOptions = {},
  ): Promise<MintedKeyAttestation> => {
    const authority =
      mintOptions.signedBy === 'other-root'
        ? (otherRoot ??= await createRoot(x509, 'Untrusted Attestation Root', options.validity))
        : root;
    const extension = new x509.Extension(
      id_ce_keyDescription,
      false,
      mintOptions.rawExtension ?? encodeKeyDescription(mintOptions),
    );
    const intermediateKeys = await generateKeys();
    const intermediateSerial = mintOptions.intermediateSerial ?? randomSerial();
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: intermediateSerial,
      subject: 'CN=Rampart Test Attestation Intermediate',
      issuer: authority.certificate.subject,
      ...(mintOptions.intermediateValidity ?? options.validity),
      publicKey: intermediateKeys.publicKey,
      signingKey: authority.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: [
        ...caExtensions(x509),
        ...(mintOptions.extensionOnIntermediate === true ? [extension] : []),
      ],
    });
    const leafKeys = await generateKeys();
    const leafSerial = mintOptions.leafSerial ?? randomSerial();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: leafSerial,
      subject: 'CN=Android Keystore Key',
      issuer: intermediate.subject,
      ...(mintOptions.leafValidity ?? options.validity),
      publicKey: leafKeys.publicKey,
      signingKey: intermediateKeys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...(mintOptions.omitExtension === true ? [] : [extension]),
      ],
    });
    const forged =
      mintOptions.extendBelowLeaf === true
        ? [
            await x509.X509CertificateGenerator.create({
              serialNumber: randomSerial(),
              subject: 'CN=Forged Key',
              issuer: leaf.subject,
              ...(mintOptions.leafValidity ?? options.validity),
              publicKey: (await generateKeys()).publicKey,
              signingKey: leafKeys.privateKey,
              signingAlgorithm: SIGNING,
              extensions: [extension],
            }),
          ]
        : [];
    const chain = [
      ...forged,
      leaf,
      intermediate,
      ...(mintOptions.omitRoot === true ? [] : [authority.certificate]),
    ];
    const normalize = (hex: string): string => hex.toLowerCase().replace(/^0+/, '') || '0';
    return {
      chain: chain.map((certificate) => new Uint8Array(certificate.rawData)),
      leafKeys,
      leafSerial: normalize(leafSerial),
      intermediateSerial: normalize(intermediateSerial),
    };
  };

  return { rootDer: new Uint8Array(root.certificate.rawData), mint };
}
