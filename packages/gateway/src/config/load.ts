import { readFileSync } from 'node:fs';
import { isMap, isScalar, isPair, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { gatewayError } from '../errors.js';
import { findAttestationProblems } from './attestation-checks.js';
import { findAuthzProblems } from './authz-checks.js';
import { findMeterProblems } from './meter-checks.js';
import { deepMerge, readEnvOverrides } from './env.js';
import { findInsecureCombinations, type ConfigProblem } from './insecure.js';
import { describeIssues, formatKey } from './problems.js';
import { authModeProblems, resolveImplicitDefaults } from './auth-defaults.js';
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
    // Insecure combinations among the parts that did parse are reported in the same round, so
    // that fixing a typo does not reveal a second list of problems.
    throw configError(
      'config.invalid',
      describeIssues(parsed.error.issues, raw ?? {}, envSources),
      insecureDespiteErrors(raw ?? {}, parsed.error.issues),
    );
  }
  const config = resolveImplicitDefaults(parsed.data);
  const problems = findInsecureCombinations(config);
  // Permissions that cannot mean what they say are invalid, not insecure: reported as such,
  // with any insecure combination in the same round.
  const invalid = [
    ...authModeProblems(config),
    ...findAuthzProblems(config),
    ...findAttestationProblems(config),
    ...findMeterProblems(config),
  ];
  if (invalid.length > 0) throw configError('config.invalid', invalid, problems);
  if (problems.length > 0) throw configError('config.insecure', problems);
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

/** Sections whose entries are named by the user: an invalid entry is set aside whole. */
const NAMED_ENTRIES = new Set(['providers', 'models', 'keys']);
const MAX_SALVAGE_ROUNDS = 8;

/**
 * Runs the insecure-combination checks on what remains once every invalid part is set aside.
 * An invalid option falls back to its default (every default is the safe choice), an invalid
 * provider, model or key entry is left out whole, and checks that would only repeat a schema
 * error are skipped: a model naming a provider that was set aside, or a model list emptied by
 * the schema errors. Returns nothing when the input cannot be salvaged (not a mapping).
 */
function insecureDespiteErrors(raw: unknown, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  if (!isPlainObject(raw)) return [];
  const copy = structuredClone(raw);
  const setAside: string[][] = [];
  let current = issues;
  for (let round = 0; round < MAX_SALVAGE_ROUNDS; round++) {
    let changed = false;
    for (const issue of current) {
      for (const target of salvageTargets(issue)) {
        const removed = removeAt(copy, target);
        if (removed !== undefined) {
          setAside.push(removed);
          changed = true;
        }
      }
    }
    if (!changed) return [];
    const retry = configSchema.safeParse(copy);
    if (!retry.success) {
      current = retry.error.issues;
      continue;
    }
    const removedProviders = new Set(
      setAside.filter((p) => p[0] === 'providers').map((p) => p[1] ?? '*'),
    );
    const models = Object.fromEntries(
      Object.entries(retry.data.models).filter(
        ([, model]) => !removedProviders.has('*') && !removedProviders.has(model.provider),
      ),
    );
    const modelsTouched =
      setAside.some((p) => p[0] === 'models') ||
      Object.keys(models).length !== Object.keys(retry.data.models).length;
    return findInsecureCombinations(resolveImplicitDefaults({ ...retry.data, models })).filter(
      (problem) => !(modelsTouched && problem.key === 'models'),
    );
  }
  return [];
}

/** The parts of the input an issue condemns: whole lists, whole named entries. */
function salvageTargets(issue: z.core.$ZodIssue): string[][] {
  const path = issue.path.map(String);
  const firstIndex = issue.path.findIndex((segment) => typeof segment === 'number');
  const targets =
    issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...path, key]) : [path];
  return targets.map((target) => {
    let cut = firstIndex === -1 ? target : target.slice(0, firstIndex);
    if (NAMED_ENTRIES.has(cut[0] ?? '') && cut.length > 2) cut = cut.slice(0, 2);
    return cut;
  });
}

/**
 * Deletes the value at a path, or — when it is absent (a required option missing) — the
 * nearest enclosing value that is present, short of the whole document. Returns the path
 * deleted, or undefined when nothing was.
 */
function removeAt(root: Record<string, unknown>, path: readonly string[]): string[] | undefined {
  for (let length = path.length; length > 0; length--) {
    let node: unknown = root;
    for (const segment of path.slice(0, length - 1)) {
      node = isPlainObject(node) ? node[segment] : undefined;
    }
    const last = path[length - 1] ?? '';
    if (isPlainObject(node) && Object.hasOwn(node, last)) {
      delete node[last];
      return path.slice(0, length);
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  const badKeys = collectionKeys(doc);
  if (badKeys.length > 0) throw configError('config.invalid', badKeys);
  try {
    return doc.toJS({ maxAliasCount: 0 }) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw configError('config.invalid', [
      { key: file, message: `YAML: ${reason} (anchors and aliases are not allowed)` },
    ]);
  }
}

/**
 * Option names are strings. A list or mapping used as a key (`? [a]`) would be stringified by
 * the YAML library (with a process warning) into a name nobody wrote; it is refused instead.
 */
function collectionKeys(doc: Document.Parsed): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(doc, {
    Pair(_, pair, path) {
      if (pair.key === null || isScalar(pair.key)) return;
      const names: string[] = [];
      for (const node of path) {
        if (isPair(node) && isScalar(node.key)) names.push(String(node.key.value));
      }
      problems.push({
        key: names.length === 0 ? '(root)' : formatKey(names),
        message: `a ${isMap(pair.key) ? 'mapping' : 'list'} is used as a key. Fix: option and entry names are plain words (\`name: value\`)`,
      });
      return visit.SKIP;
    },
  });
  return problems;
}

function configError(
  code: 'config.invalid' | 'config.insecure',
  problems: ConfigProblem[],
  insecure: ConfigProblem[] = [],
) {
  const list = (items: ConfigProblem[]) => items.map((p) => `  ${p.key}: ${p.message}`).join('\n');
  const title =
    code === 'config.invalid' ? 'invalid configuration' : 'insecure configuration refused';
  const also =
    insecure.length === 0 ? '' : `\ninsecure configuration refused, too:\n${list(insecure)}`;
  return gatewayError(code, `${title}:\n${list(problems)}${also}`, {
    extensions: insecure.length === 0 ? { problems } : { problems, insecure },
  });
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
