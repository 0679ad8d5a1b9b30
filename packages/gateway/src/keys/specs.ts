/**
 * Every key Rampart needs, one line each, sorted. Code below receives the spec, never a raw
 * name it has to interpret. `retainRetired` keys are kept after rotation until an operator
 * removes them (unless a rotation names an overlap): dropping a key-encryption key on a timer
 * would make the data it wrapped unreadable.
 */
export type KeyKind = 'ec-p256' | 'ed25519' | 'secret-256';

export interface KeySpec {
  readonly kind: KeyKind;
  /** JOSE algorithm the key is restricted to (RFC 7517 `alg`). */
  readonly alg: string;
  readonly use: 'sig' | 'enc';
  readonly purpose: string;
  readonly retainRetired: boolean;
}

export const KEY_SPECS = {
  'audit-checkpoint': {
    kind: 'ed25519',
    alg: 'EdDSA',
    use: 'sig',
    purpose: 'signs audit-log checkpoints',
    retainRetired: false,
  },
  'cookie-secret': {
    kind: 'secret-256',
    alg: 'HS256',
    use: 'sig',
    purpose: 'signs session and interaction cookies',
    retainRetired: false,
  },
  'data-kek': {
    kind: 'secret-256',
    alg: 'A256KW',
    use: 'enc',
    purpose: 'wraps the keys that encrypt stored secrets',
    retainRetired: true,
  },
  'oidc-signing': {
    kind: 'ec-p256',
    alg: 'ES256',
    use: 'sig',
    purpose: 'signs tokens of the embedded OIDC provider',
    retainRetired: false,
  },
} as const satisfies Record<string, KeySpec>;

export type KeyName = keyof typeof KEY_SPECS;

/** Names whose public part may be published (as a JWKS). */
export type PublicKeyName = {
  [K in KeyName]: (typeof KEY_SPECS)[K]['kind'] extends 'secret-256' ? never : K;
}[KeyName];

export const KEY_NAMES = Object.keys(KEY_SPECS).sort() as readonly KeyName[];

export function isKeyName(value: string): value is KeyName {
  return Object.hasOwn(KEY_SPECS, value);
}

export const DEFAULT_ROTATION_OVERLAP_MS = 7 * 24 * 60 * 60 * 1000;
