import { describe, expect, it } from 'vitest';
import type { AttestationConfig } from '../../config/attestation-schema.js';
import { anyAttestation, modeFor } from './policy.js';

const policy = (
  overrides: Partial<AttestationConfig['policy']> = {},
): AttestationConfig['policy'] => ({
  default: 'off',
  endpoints: {},
  aliases: {},
  onUnattested: { action: 'deny' },
  ...overrides,
});

describe('modeFor', () => {
  it('an alias beats its endpoint, which beats the default', () => {
    const p = policy({
      default: 'preferred',
      endpoints: { chat: 'required' },
      aliases: { cheap: 'off' },
    });
    expect(modeFor(p, 'chat', 'cheap')).toBe('off');
    expect(modeFor(p, 'chat', 'premium')).toBe('required');
    expect(modeFor(p, 'embeddings', undefined)).toBe('preferred');
  });

  it('an alias named like an Object prototype member is not a policy entry', () => {
    const p = policy({ endpoints: { chat: 'required' } });
    expect(modeFor(p, 'chat', 'constructor')).toBe('required');
    expect(modeFor(p, 'chat', '__proto__')).toBe('required');
  });

  it('method_not_allowed is off whatever the default', () => {
    expect(modeFor(policy({ default: 'required' }), 'method_not_allowed', undefined)).toBe('off');
  });
});

describe('anyAttestation', () => {
  it('is false only when every mode is off', () => {
    expect(anyAttestation(policy())).toBe(false);
    expect(anyAttestation(policy({ aliases: { premium: 'preferred' } }))).toBe(true);
    expect(anyAttestation(policy({ endpoints: { models: 'required' } }))).toBe(true);
  });
});
