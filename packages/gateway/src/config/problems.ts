import type { z } from 'zod';
import type { ConfigProblem } from './insecure.js';
import { optionSchemaAt } from './json-schema.js';

/**
 * Turns schema issues into problems a person can act on: the dotted key (and the environment
 * variable it came from), what is wrong, what is expected and the fix. Values are described by
 * their type only, never echoed: a misplaced secret or a database URL with its password must not
 * end up in a terminal or a log.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  envSources: ReadonlyMap<string, string>,
): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map((segment) =>
      typeof segment === 'number' ? segment : String(segment),
    );
    if (issue.code === 'unrecognized_keys') {
      const names = path.filter((s): s is string => typeof s === 'string');
      return issue.keys.map((key) => ({
        key: withSource(formatKey([...path, key]), envSources),
        message: `unknown option${suggest(key, knownKeys(names))}${secretHint(key)}. Fix: remove or correct it`,
      }));
    }
    return [{ key: withSource(formatKey(path), envSources), message: explain(issue, path, raw) }];
  });
}

/** `server.trustedProxies[0]`; `(root)` for the document itself. */
export function formatKey(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`,
    )
    .join('');
}

function explain(
  issue: z.core.$ZodIssue,
  path: readonly (string | number)[],
  raw: unknown,
): string {
  const value = valueAt(raw, path);
  // A list entry has no default of its own: only whole options do.
  const fallback = path.some((s) => typeof s === 'number')
    ? undefined
    : defaultAt(path.map(String));
  const orDefault = fallback === undefined ? '' : `, or remove it to use the default (${fallback})`;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = describeExpected(issue.expected);
      if (value.kind === 'missing') return `required, and missing. Fix: add it (${expected})`;
      const quoted = looksQuoted(value.value, issue.expected) ? ' without quotes' : '';
      return `expected ${expected}, got ${value.kind}. Fix: write ${expected}${quoted}${orDefault}`;
    }
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const bound = String(big ? issue.maximum : issue.minimum);
      const limit = big
        ? issue.inclusive
          ? 'at most'
          : 'below'
        : issue.inclusive
          ? 'at least'
          : 'above';
      if (issue.origin === 'string' && !big && Number(bound) <= 1) {
        return `must not be empty. Fix: give it a value${orDefault}`;
      }
      const unit =
        issue.origin === 'string'
          ? ' characters'
          : issue.origin === 'array' || issue.origin === 'set'
            ? ' entries'
            : '';
      const what = unit === '' ? `${limit} ${bound}` : `${limit} ${bound}${unit} long`;
      return `must be ${what}. Fix: use a value ${what}${orDefault}`;
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v));
      const hint = typeof value.value === 'string' ? suggest(value.value, allowed) : '';
      return `must be one of: ${allowed.join(', ')}${hint}. Fix: use one of them${orDefault}`;
    }
    case 'invalid_key': {
      const reason = issue.issues[0]?.message ?? 'not an acceptable name';
      return `the name ${JSON.stringify(String(path[path.length - 1] ?? ''))} is not allowed: ${reason}. Fix: rename it`;
    }
    default: {
      const message = issue.message.replace(/^Invalid input: /, '');
      if (/Fix:/.test(message)) return message;
      return `${message}. Fix: correct it${orDefault} (docs/config.md lists what each option accepts)`;
    }
  }
}

/** `port: "8080"` or `enabled: "true"`: the right value, quoted into a string. */
function looksQuoted(value: unknown, expected: string): boolean {
  if (typeof value !== 'string') return false;
  if (expected === 'boolean') return /^(true|false)$/i.test(value.trim());
  return (expected === 'number' || expected === 'int') && /^-?\d+(\.\d+)?$/.test(value.trim());
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a mapping (indented `name: value` lines)';
    case 'array':
      return 'a list (`[a, b]` or `- a` lines)';
    default:
      return expected;
  }
}

interface Found {
  readonly kind: string;
  readonly value?: unknown;
}

/** What the raw input holds at a path, described by type (see describeIssues on values). */
function valueAt(raw: unknown, path: readonly (string | number)[]): Found {
  let node = raw;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return { kind: 'missing' };
    if (!Object.hasOwn(node, segment)) return { kind: 'missing' };
    node = (node as Record<string | number, unknown>)[segment];
  }
  if (node === undefined) return { kind: 'missing' };
  if (node === null) return { kind: 'an empty value (null)' };
  if (Array.isArray(node)) return { kind: 'a list' };
  if (typeof node === 'object') return { kind: 'a mapping' };
  if (typeof node === 'string') return { kind: 'a string', value: node };
  if (typeof node === 'number')
    return { kind: Number.isInteger(node) ? 'a whole number' : 'a number' };
  return { kind: `a ${typeof node}` };
}

function withSource(key: string, envSources: ReadonlyMap<string, string>): string {
  const variable = envSources.get(key.replace(/\[\d+\]/g, ''));
  return variable === undefined ? key : `${key} (from ${variable})`;
}

function secretHint(key: string): string {
  return /key|secret|token|password/i.test(key) && !/Env$|File$/.test(key)
    ? ' — secrets never go in the config file: name the variable (apiKeyEnv) or file (apiKeyFile) that holds it'
    : '';
}

/** The default the schema applies to an option, as JSON, when it has a short one. */
function defaultAt(path: readonly string[]): string | undefined {
  const option = optionSchemaAt(path);
  // A section (`server: 5`) is filled from its options' defaults; it has none of its own.
  if (option === undefined || option.properties !== undefined || !('default' in option)) {
    return undefined;
  }
  const value = option.default;
  const shown = JSON.stringify(value);
  return typeof value === 'object' && value !== null && shown.length > 40 ? undefined : shown;
}

/** The keys the schema allows at a path, for "did you mean". */
function knownKeys(path: readonly string[]): string[] {
  const option = optionSchemaAt(path);
  // The path of a list entry's key skips the index: the keys are those of the list's items.
  return Object.keys(option?.properties ?? option?.items?.properties ?? {});
}

/** ` (did you mean "x"?)` for the closest of `candidates`, or nothing when none is close. */
export function suggestName(name: string, candidates: readonly string[]): string {
  return suggest(name, candidates);
}

function suggest(key: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 99;
}
