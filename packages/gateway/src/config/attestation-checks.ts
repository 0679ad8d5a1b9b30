import type { AttestationMode } from './attestation-schema.js';
import type { ConfigProblem } from './insecure.js';
import { suggestName } from './problems.js';
import type { ParsedConfig } from './schema.js';

/**
 * An attestation policy that cannot mean what it says: attestation asked for with no platform
 * to verify it, or on an anonymous `/v1` (there is no device key to bind it to); a policy alias
 * or a downgrade target that no model has; a downgrade target that itself requires attestation
 * (the downgraded request would be refused anyway); a Play Integrity key with no source or two.
 */
export function findAttestationProblems(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { attestation } = config;
  const { policy } = attestation;
  const modes: AttestationMode[] = [
    policy.default,
    ...Object.values(policy.endpoints),
    ...Object.values(policy.aliases),
  ];
  const asked = modes.some((mode) => mode !== 'off');
  const platforms = [
    attestation.appleAppAttest,
    attestation.androidKeyAttestation,
    attestation.playIntegrity,
    attestation.firebaseAppCheck,
  ].filter((platform) => platform !== undefined);
  if (asked && platforms.length === 0) {
    problems.push({
      key: 'attestation.policy',
      message:
        'asks for attestation but no platform is configured. Fix: configure attestation.appleAppAttest, androidKeyAttestation, playIntegrity or firebaseAppCheck, or set the policy to off',
    });
  }
  if (asked && config.auth.mode === 'none') {
    problems.push({
      key: 'attestation.policy',
      message:
        'asks for attestation while auth.mode is none: attestation is bound to the caller and its device key. Fix: turn authentication on (remove auth.mode: none)',
    });
  }
  const models = Object.keys(config.models);
  const checkAlias = (key: string, alias: string) => {
    if (models.length > 0 && !Object.hasOwn(config.models, alias)) {
      problems.push({
        key,
        message: `names model alias "${alias}", which is not configured${suggestName(alias, models)}. Fix: use one of the keys of models (${models.join(', ')})`,
      });
    }
  };
  for (const alias of Object.keys(policy.aliases))
    checkAlias(`attestation.policy.aliases.${alias}`, alias);
  const { onUnattested } = policy;
  if (onUnattested.action === 'downgrade') {
    if (onUnattested.alias === undefined) {
      problems.push({
        key: 'attestation.policy.onUnattested.alias',
        message:
          'action downgrade needs the alias to serve unattested requests. Fix: set alias, or use action: deny',
      });
    } else {
      checkAlias('attestation.policy.onUnattested.alias', onUnattested.alias);
      if (policy.aliases[onUnattested.alias] === 'required') {
        problems.push({
          key: 'attestation.policy.onUnattested.alias',
          message: `"${onUnattested.alias}" itself requires attestation, so a downgraded request would be refused. Fix: downgrade to an alias whose mode is off or preferred`,
        });
      }
    }
  }
  const play = attestation.playIntegrity;
  if (play !== undefined) {
    for (const [what, env, file] of [
      ['decryptionKey', play.decryptionKeyEnv, play.decryptionKeyFile],
      ['verificationKey', play.verificationKeyEnv, play.verificationKeyFile],
    ] as const) {
      if ((env === undefined) === (file === undefined)) {
        problems.push({
          key: `attestation.playIntegrity.${what}Env`,
          message: `set exactly one of ${what}Env and ${what}File (the key from Play Console, kept out of this file)`,
        });
      }
    }
  }
  return problems;
}
