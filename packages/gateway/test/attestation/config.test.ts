import { isRampartError } from '@rampart/core';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { startAttestedGateway } from './gateway.js';
import { playIntegritySection } from './play.js';

/**
 * The `attestation` section's cross-checks (config/attestation-checks.ts): a policy that cannot
 * mean what it says refuses the start, naming its key and the fix.
 */
const apple = { teamId: 'ABCDE12345', bundleIds: ['com.example.rampart'] };

function configWith(attestation: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    auth: {
      issuers: [
        {
          issuer: 'https://issuer.example',
          jwksUri: 'https://issuer.example/jwks',
          audiences: ['https://rampart.test'],
        },
      ],
    },
    providers: {
      mock: { type: 'openai-compatible', baseUrl: 'https://api.example/v1', apiKeyEnv: 'KEY' },
    },
    models: {
      premium: { provider: 'mock', model: 'big' },
      cheap: { provider: 'mock', model: 'small' },
    },
    attestation,
    ...extra,
  };
}

function refusal(raw: unknown): { code: string; message: string } {
  try {
    validateConfig(raw);
  } catch (error) {
    if (isRampartError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('attestation configuration', () => {
  it('a consistent section is accepted, with off as the default policy', () => {
    const config = validateConfig(configWith({ appleAppAttest: apple }));
    expect(config.attestation.policy.default).toBe('off');
    expect(config.attestation.challengeTtlSeconds).toBe(300);
    expect(config.attestation.appleAppAttest?.environments).toEqual(['production']);
  });

  it('asking for attestation with no platform is refused at attestation.policy', () => {
    const { code, message } = refusal(configWith({ policy: { default: 'required' } }));
    expect(code).toBe('config.invalid');
    expect(message).toContain('attestation.policy');
    expect(message).toContain('no platform is configured');
  });

  it('asking for attestation with auth.mode none is refused at attestation.policy', () => {
    const raw = configWith(
      { policy: { endpoints: { chat: 'preferred' } }, appleAppAttest: apple },
      { auth: { mode: 'none' } },
    );
    const { message } = refusal(raw);
    expect(message).toContain('attestation.policy');
    expect(message).toContain('auth.mode is none');
  });

  it('a policy alias that no model has is refused at its key, with a suggestion', () => {
    const { message } = refusal(
      configWith({ policy: { aliases: { premum: 'required' } }, appleAppAttest: apple }),
    );
    expect(message).toContain('attestation.policy.aliases.premum');
    expect(message).toContain('premium');
  });

  it('downgrade without an alias is refused at onUnattested.alias', () => {
    const { message } = refusal(
      configWith({
        policy: { default: 'required', onUnattested: { action: 'downgrade' } },
        appleAppAttest: apple,
      }),
    );
    expect(message).toContain('attestation.policy.onUnattested.alias');
    expect(message).toContain('needs the alias');
  });

  it('downgrade to an alias that no model has is refused at onUnattested.alias', () => {
    const { message } = refusal(
      configWith({
        policy: { default: 'required', onUnattested: { action: 'downgrade', alias: 'tiny' } },
        appleAppAttest: apple,
      }),
    );
    expect(message).toContain('attestation.policy.onUnattested.alias');
    expect(message).toContain('"tiny"');
  });

  it('downgrade to an alias that itself requires attestation is refused', () => {
    const { message } = refusal(
      configWith({
        policy: {
          aliases: { premium: 'required', cheap: 'required' },
          onUnattested: { action: 'downgrade', alias: 'cheap' },
        },
        appleAppAttest: apple,
      }),
    );
    expect(message).toContain('attestation.policy.onUnattested.alias');
    expect(message).toContain('itself requires attestation');
  });

  it('a Play Integrity key with no source, or two, is refused at its key', () => {
    const { message } = refusal(
      configWith({
        playIntegrity: {
          packageName: 'com.example.app',
          decryptionKeyEnv: 'PI_DEC',
          decryptionKeyFile: '/run/secrets/pi-dec',
        },
      }),
    );
    expect(message).toContain('attestation.playIntegrity.decryptionKeyEnv');
    expect(message).toContain('attestation.playIntegrity.verificationKeyEnv');
  });

  it('a Play Integrity key whose variable is unset refuses the start with config.secret_missing', async () => {
    const start = startAttestedGateway({
      attestation: { playIntegrity: playIntegritySection() },
      env: { PI_DECRYPTION_KEY: '' },
    });
    await expect(start).rejects.toSatisfy(
      (error: unknown) =>
        isRampartError(error) &&
        error.code === 'config.secret_missing' &&
        error.message.includes('attestation.playIntegrity.decryptionKey') &&
        !error.message.includes('PI_VERIFICATION_KEY='),
    );
  });
});
