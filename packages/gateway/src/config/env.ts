/**
 * Environment overrides: any option as `RAMPART_<SECTION>__<KEY>` (segments separated by a
 * double underscore, each in SNAKE_CASE: `RAMPART_SERVER__PUBLIC_URL` → `server.publicUrl`),
 * plus the fixed names `RAMPART_PORT` and `RAMPART_DATA_DIR`. Values are read as JSON when they
 * parse (numbers, booleans, arrays), else as strings.
 */
export interface EnvOverrides {
  /** Overrides merged into the file's object. */
  readonly values: Record<string, unknown>;
  /** Dotted key → the variable it came from, so errors can name the variable. */
  readonly sources: ReadonlyMap<string, string>;
}

/** Sections whose next segment is a name, not an option: kept as written (lower case). */
const MAP_SECTIONS = new Set(['providers', 'models', 'keys']);

export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvOverrides {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const set = (path: string[], raw: string, variable: string) => {
    let node = values;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
        node = next as Record<string, unknown>;
      } else {
        const created: Record<string, unknown> = {};
        node[segment] = created;
        node = created;
      }
    }
    node[path[path.length - 1] ?? ''] = parseValue(raw);
    sources.set(path.join('.'), variable);
  };

  for (const [variable, raw] of Object.entries(env)) {
    if (raw === undefined || !variable.startsWith('RAMPART_')) continue;
    if (variable === 'RAMPART_PORT') set(['server', 'port'], raw, variable);
    else if (variable === 'RAMPART_DATA_DIR') set(['dataDir'], raw, variable);
    else if (variable.includes('__')) {
      const segments = variable.slice('RAMPART_'.length).split('__');
      const section = segments[0]?.toLowerCase() ?? '';
      const path = segments.map((segment, index) => {
        if (index !== 1 || !MAP_SECTIONS.has(section)) return snakeToCamel(segment);
        // Key names are hyphenated (`oidc-signing`); provider names may hold underscores.
        return section === 'keys'
          ? segment.toLowerCase().replace(/_/g, '-')
          : segment.toLowerCase();
      });
      set(path, raw, variable);
    }
  }
  return { values, sources };
}

function snakeToCamel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Deep merge of plain objects; arrays and scalars from `override` replace. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(base[key], value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
