import type { ConfigProblem } from './insecure.js';
import { suggestName } from './problems.js';
import type { ParsedConfig } from './schema.js';

/**
 * Permissions that cannot mean what they say: an alias that no model has (a typo grants
 * nothing, and `*` was maybe meant), or an alias of the wrong kind for every endpoint the
 * permission grants. Checked only when models are configured: in demo mode the aliases come
 * from the built-in mock, not from this file.
 */
export function findAuthzProblems(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const models = Object.keys(config.models);
  if (models.length === 0) return problems;
  for (const [role, permissions] of Object.entries(config.authz.roles)) {
    permissions.forEach((permission, index) => {
      for (const alias of permission.aliases) {
        if (alias === '*') continue;
        const key = `authz.roles.${role}[${index}].aliases`;
        const model = config.models[alias];
        if (model === undefined || !Object.hasOwn(config.models, alias)) {
          problems.push({
            key,
            message: `names model alias "${alias}", which is not configured${suggestName(alias, models)}. Fix: use one of the keys of models (${models.join(', ')}) or *`,
          });
        } else if (!permission.endpoints.includes(model.kind)) {
          problems.push({
            key,
            message: `names model alias "${alias}", a ${model.kind} model, but the permission grants only ${permission.endpoints.join(', ')}. Fix: add ${model.kind} to its endpoints or move the alias to a permission that grants ${model.kind}`,
          });
        }
      }
    });
  }
  return problems;
}
