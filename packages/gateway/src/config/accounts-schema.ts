import { z } from 'zod';
import './meta.js';

/**
 * The `accounts` section: local accounts of the embedded provider — password hashing (argon2id),
 * brute-force limits on password and second-factor checks, and the labels TOTP apps and
 * WebAuthn authenticators show. docs/accounts.md explains the policy these options tune.
 */

/** OWASP Password Storage Cheat Sheet minimum for argon2id: m = 19 MiB, t = 2, p = 1. */
export const ARGON2_MIN_MEMORY_KIB = 19_456;
export const ARGON2_MIN_TIME_COST = 2;

const seconds = (max: number) => z.number().int().min(1).max(max);

const argon2Schema = z.strictObject({
  memoryKiB: z
    .number()
    .int()
    .min(ARGON2_MIN_MEMORY_KIB)
    .max(1_048_576)
    .default(ARGON2_MIN_MEMORY_KIB)
    .meta({
      description:
        'argon2id memory cost in KiB per hash. The default, 19456 (19 MiB), is the OWASP minimum and the lowest accepted; at most 1 GiB. Each concurrent login attempt holds this much memory while it is checked.',
    }),
  timeCost: z.number().int().min(ARGON2_MIN_TIME_COST).max(10).default(2).meta({
    description: 'argon2id passes over memory (t). At least 2 (OWASP with 19 MiB), at most 10.',
  }),
  parallelism: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(1)
    .meta({ description: 'argon2id lanes (p). 1 is the OWASP setting.' }),
});

const bruteForceSchema = z.strictObject({
  accountMaxFailures: z.number().int().min(1).max(1000).default(10).meta({
    description:
      'Failed password checks (per username, known or not) and failed second-factor checks (per account) allowed within `accountWindowSeconds`; the next attempt is refused (`throttled`) for `accountBlockSeconds`, from every IP, without checking the credential. A success resets the count.',
  }),
  accountWindowSeconds: seconds(86_400 * 30)
    .default(3_600)
    .meta({ description: 'Window over which failures per account are counted.' }),
  accountBlockSeconds: seconds(86_400 * 30)
    .default(900)
    .meta({ description: 'How long an account stays blocked once it exceeded its failures.' }),
  ipMaxFailures: z.number().int().min(1).max(1_000_000).default(100).meta({
    description:
      'Failed credential checks (password, second factor, passkey) allowed per client IP within `ipWindowSeconds`, whatever the accounts tried; the next is refused for `ipBlockSeconds`. Behind a proxy, set `server.trustedProxies` so the client IP is the real one.',
  }),
  ipWindowSeconds: seconds(86_400 * 30)
    .default(3_600)
    .meta({ description: 'Window over which failures per IP are counted.' }),
  ipBlockSeconds: seconds(86_400 * 30)
    .default(3_600)
    .meta({ description: 'How long an IP stays blocked once it exceeded its failures.' }),
});

export const accountsSchema = z.strictObject({
  argon2: argon2Schema.prefault({}),
  minPasswordLength: z.number().int().min(8).max(256).default(12).meta({
    description:
      'Shortest password accepted when an account is created or its password set (characters). Checks at login accept any length from 1 to 1024 bytes.',
  }),
  bruteForce: bruteForceSchema.prefault({}),
  totpIssuer: z.string().min(1).max(64).default('Rampart').meta({
    description:
      'Issuer label shown by authenticator apps next to the account name (the `issuer` of the otpauth URI).',
  }),
  webauthnRpName: z.string().min(1).max(64).default('Rampart').meta({
    description:
      'Relying-party name that passkey prompts show. The relying-party id and origin come from `server.publicUrl`.',
  }),
});

export type AccountsConfig = z.output<typeof accountsSchema>;
