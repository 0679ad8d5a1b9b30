import type { ConfigProblem } from './insecure.js';
import { PRINCIPAL_KEY_PARTS } from './meter-schema.js';
import { suggestName } from './problems.js';
import type { ParsedConfig } from './schema.js';

/**
 * Limits that cannot mean what they say: neither or both kinds, a duplicate name (two limits
 * would share counters and metrics), a key naming a part twice, a key or role filter that needs
 * a verified caller on an anonymous `/v1` (every request would share the placeholder, turning a
 * per-user limit into one global limit), or an alias no model has (the limit would never apply).
 */
export function findMeterProblems(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const models = Object.keys(config.models);
  config.meter.limits.forEach((limit, index) => {
    const at = `meter.limits[${index}]`;
    const kinds = [
      limit.requests !== undefined ? 'requests' : undefined,
      limit.tokens !== undefined ? 'tokens' : undefined,
      limit.concurrentStreams !== undefined ? 'concurrentStreams' : undefined,
    ].filter((kind) => kind !== undefined);
    const windowed = limit.requests !== undefined || limit.tokens !== undefined;
    if (kinds.length > 1) {
      problems.push({
        key: at,
        message: `limit "${limit.name}" sets ${kinds.join(' and ')}. Fix: split it into one limit per kind (requests, tokens or concurrentStreams)`,
      });
    } else if (kinds.length === 0) {
      problems.push({
        key: at,
        message: `limit "${limit.name}" limits nothing. Fix: set requests and windowSeconds (a request window), tokens and windowSeconds (a token window) or concurrentStreams`,
      });
    } else if (windowed && limit.windowSeconds === undefined) {
      problems.push({
        key: `${at}.windowSeconds`,
        message: `limit "${limit.name}" has a ${kinds[0] === 'tokens' ? 'token' : 'request'} window without windowSeconds. Fix: set windowSeconds`,
      });
    } else if (!windowed && limit.windowSeconds !== undefined) {
      problems.push({
        key: `${at}.windowSeconds`,
        message: `limit "${limit.name}" sets windowSeconds on a concurrency limit, which has no window. Fix: remove windowSeconds, or make it a window with requests or tokens`,
      });
    }
    if (seen.has(limit.name)) {
      problems.push({
        key: `${at}.name`,
        message: `"${limit.name}" names two limits. Fix: give each limit its own name`,
      });
    }
    seen.add(limit.name);
    const twice = limit.key.filter((part, i) => limit.key.indexOf(part) !== i);
    if (twice.length > 0) {
      problems.push({
        key: `${at}.key`,
        message: `names ${[...new Set(twice)].join(', ')} more than once. Fix: list each part once`,
      });
    }
    if (config.auth.mode === 'none') {
      const needCaller = limit.key.filter((part) => PRINCIPAL_KEY_PARTS.includes(part));
      if (needCaller.length > 0) {
        problems.push({
          key: `${at}.key`,
          message: `keys on ${needCaller.join(', ')}, which come from the verified caller, while auth.mode is none: every request would share one counter. Fix: turn authentication on (remove auth.mode: none) or key on ip or alias`,
        });
      }
      if (limit.roles !== undefined) {
        problems.push({
          key: `${at}.roles`,
          message:
            'applies by role while auth.mode is none: an anonymous request has no role, so the limit would never apply. Fix: turn authentication on or remove roles',
        });
      }
    }
    if (models.length > 0) {
      for (const alias of limit.aliases ?? []) {
        if (!Object.hasOwn(config.models, alias)) {
          problems.push({
            key: `${at}.aliases`,
            message: `names model alias "${alias}", which is not configured${suggestName(alias, models)}. Fix: use one of the keys of models (${models.join(', ')})`,
          });
        }
      }
    }
  });
  problems.push(...findCapProblems(config));
  return problems;
}

/** The settings that make a cap cap something. */
const CAP_SETTINGS = [
  'maxTokens',
  'n',
  'maxPromptChars',
  'maxTools',
  'logprobs',
  'topLogprobs',
] as const;

/**
 * Caps that cannot mean what they say: one capping nothing, a duplicate name, `clamp` without
 * `maxTokens`, a `top_logprobs` bound where log probabilities are refused or stripped anyway,
 * roles on an anonymous `/v1` (never applies), an alias no chat model has (never applies).
 */
function findCapProblems(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const chatModels = Object.entries(config.models)
    .filter(([, model]) => model.kind !== 'embeddings')
    .map(([alias]) => alias);
  const anyModels = Object.keys(config.models).length > 0;
  config.meter.caps.forEach((cap, index) => {
    const at = `meter.caps[${index}]`;
    if (!CAP_SETTINGS.some((setting) => cap[setting] !== undefined)) {
      problems.push({
        key: at,
        message: `cap "${cap.name}" caps nothing. Fix: set at least one of ${CAP_SETTINGS.join(', ')}`,
      });
    }
    if (seen.has(cap.name)) {
      problems.push({
        key: `${at}.name`,
        message: `"${cap.name}" names two caps. Fix: give each cap its own name`,
      });
    }
    seen.add(cap.name);
    if (cap.overMaxTokens === 'clamp' && cap.maxTokens === undefined) {
      problems.push({
        key: `${at}.overMaxTokens`,
        message: `cap "${cap.name}" clamps max_tokens but sets no maxTokens to clamp to. Fix: set maxTokens, or remove overMaxTokens`,
      });
    }
    if (cap.topLogprobs !== undefined && (cap.logprobs === 'refuse' || cap.logprobs === 'strip')) {
      problems.push({
        key: `${at}.topLogprobs`,
        message: `cap "${cap.name}" bounds top_logprobs while logprobs is ${cap.logprobs}, so the bound never applies. Fix: remove topLogprobs, or set logprobs: allow`,
      });
    }
    if (config.auth.mode === 'none' && cap.roles !== undefined) {
      problems.push({
        key: `${at}.roles`,
        message:
          'applies by role while auth.mode is none: an anonymous request has no role, so the cap would never apply. Fix: turn authentication on or remove roles',
      });
    }
    if (anyModels) {
      for (const alias of cap.aliases ?? []) {
        if (!chatModels.includes(alias)) {
          const embeddings = Object.hasOwn(config.models, alias);
          problems.push({
            key: `${at}.aliases`,
            message: `names model alias "${alias}", which ${embeddings ? 'serves embeddings (caps apply to chat only)' : `is not configured${suggestName(alias, chatModels)}`}. Fix: use one of the chat models (${chatModels.join(', ')})`,
          });
        }
      }
    }
  });
  return problems;
}
