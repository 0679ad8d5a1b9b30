import type { IdentityConfig } from './identity-schema.js';
import type { ConfigProblem } from './insecure.js';
import type { SchemaOutput } from './schema.js';

/**
 * Defaults that depend on other options, decided once after the schema and before any check,
 * so that every reader sees the same answer:
 *
 * - `identity.enabled` unset: the embedded provider is on exactly when `/v1` is authenticated
 *   (`auth.mode: required`) and no external issuer is listed, so a fresh gateway is its own
 *   issuer instead of being anonymous.
 * - Demo mode (no provider) with authentication on: the role `demo`, which `rampart token --dev`
 *   tokens carry, may use the demo models, unless the config defines `authz.roles.demo` itself.
 *   The demo models are the built-in mock, so the grant exposes no provider key.
 */
export type ParsedConfig = Omit<SchemaOutput, 'identity'> & { readonly identity: IdentityConfig };

/** The role a demo-mode development token carries (identity/dev-token). */
export const DEMO_ROLE = 'demo';

export function resolveImplicitDefaults(config: SchemaOutput): ParsedConfig {
  const required = config.auth.mode === 'required';
  const enabled = config.identity.enabled ?? (required && config.auth.issuers.length === 0);
  const demo = Object.keys(config.providers).length === 0;
  const roles =
    demo && required && !Object.hasOwn(config.authz.roles, DEMO_ROLE)
      ? {
          ...config.authz.roles,
          [DEMO_ROLE]: [
            {
              endpoints: ['chat' as const, 'embeddings' as const, 'models' as const],
              aliases: ['*'],
              features: [
                'audio' as const,
                'images' as const,
                'logprobs' as const,
                'stream' as const,
                'tools' as const,
              ],
              mfa: false,
            },
          ],
        }
      : config.authz.roles;
  return {
    ...config,
    identity: { ...config.identity, enabled },
    authz: { ...config.authz, roles },
  };
}

/** `auth.mode: required` with nothing that could authenticate a caller refuses every request. */
export function authModeProblems(config: ParsedConfig): ConfigProblem[] {
  const { auth, identity } = config;
  if (auth.mode !== 'required') return [];
  if (auth.issuers.length > 0 || auth.serviceKeys.enabled || identity.enabled) return [];
  return [
    {
      key: 'auth.mode',
      message:
        'authentication is required but nothing can authenticate a caller: identity.enabled is false, auth.issuers is empty and auth.serviceKeys.enabled is false. Fix: list your token issuer under auth.issuers, or remove identity.enabled: false to use the embedded provider, or (local development only) set auth.mode: none',
    },
  ];
}
