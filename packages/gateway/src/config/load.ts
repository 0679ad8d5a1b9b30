import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { gatewayError } from '../errors.js';
import { deepMerge, readEnvOverrides } from './env.js';
import { findInsecureCombinations, type ConfigProblem } from './insecure.js';
import { configSchema, type ParsedConfig } from './schema.js';

/** The validated configuration the gateway is built from. */
export interface Config extends ParsedConfig {
  readonly server: ParsedConfig['server'] & { readonly publicUrl: string };
  /** No provider configured: the built-in mock serves as provider `demo`. */
  readonly demo: boolean;
}

const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadOptions {
  /** YAML file; `RAMPART_CONFIG` names it when the CLI is given none. */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/** Reads, merges and validates; throws `config.invalid` / `config.insecure` listing every problem. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env['RAMPART_CONFIG'];
  const fromFile = file === undefined ? {} : readYaml(file);
  const overrides = readEnvOverrides(env);
  return validateConfig(deepMerge(fromFile, overrides.values), overrides.sources);
}

export function validateConfig(
  raw: unknown,
  envSources: ReadonlyMap<string, string> = new Map(),
): Config {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw configError('config.invalid', describeIssues(parsed.error.issues, envSources));
  }
  const problems = findInsecureCombinations(parsed.data);
  if (problems.length > 0) throw configError('config.insecure', problems);
  const config = parsed.data;
  const publicUrl = (
    config.server.publicUrl ??
    `${config.server.tls ? 'https' : 'http'}://${formatHost(config.server.host)}:${config.server.port}`
  ).replace(/\/$/, '');
  return {
    ...config,
    server: { ...config.server, publicUrl },
    demo: Object.keys(config.providers).length === 0,
  };
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    const buffer = readFileSync(file);
    if (buffer.length > MAX_CONFIG_BYTES) {
      throw configError('config.invalid', [
        { key: file, message: 'config file larger than 1 MiB' },
      ]);
    }
    text = buffer.toString('utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      throw configError('config.invalid', [
        { key: file, message: `cannot read the config file (${error.code})` },
      ]);
    }
    throw error;
  }
  // Aliases are refused so that a small file cannot expand into a huge object (billion laughs).
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw configError(
      'config.invalid',
      doc.errors.map((e) => ({ key: file, message: `YAML: ${e.message.split('\n')[0] ?? ''}` })),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 0 }) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw configError('config.invalid', [
      { key: file, message: `YAML: ${reason} (anchors and aliases are not allowed)` },
    ]);
  }
}

function configError(code: 'config.invalid' | 'config.insecure', problems: ConfigProblem[]) {
  const lines = problems.map((p) => `  ${p.key}: ${p.message}`).join('\n');
  const title =
    code === 'config.invalid' ? 'invalid configuration' : 'insecure configuration refused';
  return gatewayError(code, `${title}:\n${lines}`, { extensions: { problems } });
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  envSources: ReadonlyMap<string, string>,
): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const keyPath = [...path, key].join('.');
        return {
          key: withSource(keyPath, envSources),
          message: `unknown option${suggest(key, knownKeys(path))}${secretHint(key)}. Fix: remove or correct it`,
        };
      });
    }
    return [{ key: withSource(path.join('.') || '(root)', envSources), message: issue.message }];
  });
}

function withSource(key: string, envSources: ReadonlyMap<string, string>): string {
  const variable = envSources.get(key);
  return variable === undefined ? key : `${key} (from ${variable})`;
}

function secretHint(key: string): string {
  return /key|secret|token|password/i.test(key) && !/Env$|File$/.test(key)
    ? ' — secrets never go in the config file: name the variable (apiKeyEnv) or file (apiKeyFile) that holds it'
    : '';
}

/** The keys the schema allows at a path, for "did you mean". */
function knownKeys(path: readonly string[]): string[] {
  let schema: unknown = configSchema;
  for (const segment of path) {
    schema = childSchema(schema, segment);
    if (schema === undefined) return [];
  }
  const shape = objectShape(schema);
  return shape === undefined ? [] : Object.keys(shape);
}

function childSchema(schema: unknown, segment: string): unknown {
  const inner = unwrap(schema);
  const shape = objectShape(inner);
  if (shape !== undefined) return shape[segment];
  const def = (inner as { def?: { type?: string; valueType?: unknown } }).def;
  return def?.type === 'record' ? def.valueType : undefined;
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  const inner = unwrap(schema) as { def?: { type?: string; shape?: Record<string, unknown> } };
  return inner.def?.type === 'object' ? inner.def.shape : undefined;
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { type?: string; innerType?: unknown } } | undefined;
  while (
    current?.def !== undefined &&
    ['optional', 'default', 'prefault', 'nullable'].includes(current.def.type ?? '')
  ) {
    current = current.def.innerType as typeof current;
  }
  return current;
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

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
