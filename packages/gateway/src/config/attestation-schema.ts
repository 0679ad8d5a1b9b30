import { z } from 'zod';
import { envName } from './provider-schema.js';
import './meta.js';

/**
 * The `attestation` section: the attest stage (DESIGN.md, request path 3). Which platforms the
 * gateway verifies (each needs the team's own identifiers and keys), and, per endpoint and per
 * model alias, whether a request must come from an attested install (`required`), is only
 * marked (`preferred`), or is not asked (`off`, the default: an app must first integrate the
 * client side, docs/attestation.md).
 */

export const ATTESTATION_MODES = ['off', 'preferred', 'required'] as const;
export type AttestationMode = (typeof ATTESTATION_MODES)[number];

const mode = z.enum(ATTESTATION_MODES);
const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, 'expected letters, digits and . _ : @ / -');

const appleSchema = z.strictObject({
  teamId: z
    .string()
    .regex(/^[A-Z0-9]{10}$/, 'expected the 10-character Apple Developer team id')
    .meta({
      description: 'Your Apple Developer team id (10 characters), as in the App ID prefix.',
    }),
  bundleIds: z.array(z.string().min(1).max(255)).min(1).max(20).meta({
    description:
      'Bundle ids of your apps whose App Attest keys are accepted; the rpIdHash must be SHA-256 of `<teamId>.<bundleId>`.',
  }),
  environments: z
    .array(z.enum(['production', 'development']))
    .min(1)
    .default(['production'])
    .meta({
      description:
        'App Attest environments accepted (the aaguid): `production` only by default; add `development` for builds from Xcode.',
    }),
});

const androidSchema = z.strictObject({
  packageNames: z.array(z.string().min(1).max(255)).min(1).max(20).meta({
    description: 'Package names of your apps whose key attestations are accepted.',
  }),
  signingCertDigests: z
    .array(z.string().regex(/^[0-9A-Fa-f:]{64,95}$/, 'expected a SHA-256 digest in hex'))
    .min(1)
    .max(20)
    .meta({
      description:
        "SHA-256 digests (hex, colons optional) of your apps' signing certificates; the attestation's application id must list one.",
    }),
  minSecurityLevel: z
    .enum(['trusted-environment', 'strongbox'])
    .default('trusted-environment')
    .meta({
      description:
        'The weakest keystore accepted, for both the attestation and the key: `trusted-environment` (TEE) or `strongbox`. Software keys are always refused.',
    }),
  requireVerifiedBoot: z.boolean().default(true).meta({
    description:
      'Refuse devices whose verified boot state is not `Verified` (an unlocked or custom-ROM device).',
  }),
  requireDeviceLocked: z.boolean().default(true).meta({
    description: 'Refuse devices whose bootloader is unlocked.',
  }),
  statusListUrl: z
    .url({ protocol: /^https?$/ })
    .default('https://android.googleapis.com/attestation/status')
    .meta({
      description:
        "Google's attestation certificate revocation list. Refreshed hourly; without a list younger than `statusListMaxAgeHours` verification is indeterminate (fails closed).",
    }),
  statusListMaxAgeHours: z.number().int().min(1).max(720).default(48).meta({
    description: 'Oldest revocation list still used when a refresh fails.',
  }),
});

const playIntegritySchema = z.strictObject({
  packageName: z.string().min(1).max(255).meta({ description: "Your app's package name." }),
  decryptionKeyEnv: envName.optional().meta({
    description: 'Environment variable holding the base64 decryption key from Play Console.',
  }),
  decryptionKeyFile: z.string().min(1).optional().meta({
    description: 'File holding the base64 decryption key from Play Console.',
  }),
  verificationKeyEnv: envName.optional().meta({
    description: 'Environment variable holding the base64 verification key from Play Console.',
  }),
  verificationKeyFile: z.string().min(1).optional().meta({
    description: 'File holding the base64 verification key from Play Console.',
  }),
  deviceIntegrity: z
    .enum(['MEETS_BASIC_INTEGRITY', 'MEETS_DEVICE_INTEGRITY', 'MEETS_STRONG_INTEGRITY'])
    .default('MEETS_DEVICE_INTEGRITY')
    .meta({ description: 'The weakest device label accepted (stronger ones satisfy it).' }),
  requireLicensed: z.boolean().default(true).meta({
    description: 'Refuse verdicts whose `appLicensingVerdict` is not `LICENSED`.',
  }),
  certificateSha256Digests: z.array(z.string().min(1).max(128)).max(20).optional().meta({
    description:
      'Allowed signing-certificate SHA-256 digests (base64url or hex); unset: not checked.',
    defaultText: 'unset',
  }),
});

const appCheckSchema = z.strictObject({
  projectNumber: z
    .string()
    .regex(/^[0-9]{1,20}$/, 'expected the Firebase project number')
    .meta({
      description: 'The Firebase project number (digits), as in the tokens’ `iss` and `aud`.',
    }),
  appIds: z.array(z.string().min(1).max(128)).min(1).max(20).meta({
    description: 'Firebase app ids whose App Check tokens are accepted.',
  }),
  replayProtection: z.boolean().default(false).meta({
    description:
      'Accept each token once (Firebase limited-use tokens): the app must then fetch a fresh token per request.',
  }),
  jwksUri: z
    .url({ protocol: /^https?$/ })
    .default('https://firebaseappcheck.googleapis.com/v1/jwks')
    .meta({ description: "Firebase App Check's key set." }),
});

const policySchema = z.strictObject({
  default: mode.default('off').meta({
    description:
      '`off`: attestation is not asked for. `preferred`: verified when presented and recorded on the request, never refused for its absence (an invalid one is still refused). `required`: a request from an install that is not attested gets `onUnattested`.',
  }),
  endpoints: z
    .partialRecord(z.enum(['chat', 'embeddings', 'models']), mode)
    .default({})
    .meta({
      description: 'Per `/v1` endpoint, overriding `default`.',
    }),
  aliases: z.record(name, mode).default({}).meta({
    description: 'Per model alias, overriding the endpoint and `default`.',
  }),
  onUnattested: z
    .strictObject({
      action: z.enum(['deny', 'downgrade']).default('deny').meta({
        description:
          '`deny`: 403 `attest.required`. `downgrade`: the request is served by `alias` instead (a cheaper model) when the alias it named requires attestation.',
      }),
      alias: name.optional().meta({
        description: 'The model alias an unattested request is served by when `action: downgrade`.',
      }),
    })
    .prefault({}),
});

export const attestationSchema = z.strictObject({
  policy: policySchema.prefault({}),
  challengeTtlSeconds: z.number().int().min(30).max(3600).default(300).meta({
    description:
      'Lifetime of a challenge from `POST /attest/v1/challenges`; each is single use and bound to the subject and device key that asked for it.',
  }),
  attestedTtlSeconds: z
    .number()
    .int()
    .min(300)
    .max(30 * 86_400)
    .default(86_400)
    .meta({
      description:
        'How long a device key attested once (Android key attestation, Play Integrity) counts as attested before the app must attest again. App Attest and App Check prove each request.',
    }),
  appleAppAttest: appleSchema.optional().meta({ description: 'Apple App Attest.' }),
  androidKeyAttestation: androidSchema.optional().meta({ description: 'Android key attestation.' }),
  playIntegrity: playIntegritySchema.optional().meta({ description: 'Google Play Integrity.' }),
  firebaseAppCheck: appCheckSchema.optional().meta({ description: 'Firebase App Check.' }),
});

export type AttestationConfig = z.output<typeof attestationSchema>;
