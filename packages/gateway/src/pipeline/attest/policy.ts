import type { AttestationConfig, AttestationMode } from '../../config/attestation-schema.js';
import type { Endpoint } from '../exchange.js';

/**
 * The attestation mode of one request: the alias's own (`attestation.policy.aliases`), else
 * its endpoint's (`policy.endpoints`), else `policy.default`. `method_not_allowed` is refused
 * before any of this matters and gets `off`.
 */
export function modeFor(
  policy: AttestationConfig['policy'],
  endpoint: Endpoint,
  alias: string | undefined,
): AttestationMode {
  if (alias !== undefined && Object.hasOwn(policy.aliases, alias)) {
    return policy.aliases[alias] ?? policy.default;
  }
  if (endpoint === 'method_not_allowed') return 'off';
  return policy.endpoints[endpoint] ?? policy.default;
}

/** Whether any request could be asked for attestation: otherwise the stage has no phase. */
export function anyAttestation(policy: AttestationConfig['policy']): boolean {
  return [
    policy.default,
    ...Object.values(policy.endpoints),
    ...Object.values(policy.aliases),
  ].some((mode) => mode !== 'off');
}
