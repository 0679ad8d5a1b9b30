import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTION_DOCS } from '../../src/config/defaults.js';
import { configSchema } from '../../src/config/schema.js';
import { GATEWAY_ERRORS } from '../../src/errors.js';

const docs = (name: string) =>
  readFileSync(new URL(`../../../../docs/${name}`, import.meta.url), 'utf8');

/** Dotted paths of every leaf option the schema accepts; map sections as `<name>`/`<alias>`. */
function schemaLeaves(): string[] {
  const json = configSchema.toJSONSchema({ io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: string[] = [];
  const walk = (node: JsonSchema, path: string[]) => {
    const props = node.properties;
    if (props !== undefined) {
      for (const [key, child] of Object.entries(props)) walk(child, [...path, key]);
      return;
    }
    const values = node.additionalProperties;
    if (typeof values === 'object' && path.length === 1) {
      const placeholder = path[0] === 'models' ? '<alias>' : '<name>';
      walk(values, [...path, placeholder]);
      return;
    }
    out.push(path.join('.'));
  };
  walk(json, []);
  return out;
}
interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
}

describe('generated reference pages', () => {
  it('every gateway error code is documented in docs/errors.md', () => {
    const page = docs('errors.md');
    for (const code of Object.keys(GATEWAY_ERRORS)) expect(page).toContain(`\`${code}\``);
  });

  it('every configuration option is documented, and no documented option is missing from the schema', () => {
    const leaves = schemaLeaves().map((leaf) => leaf.replace(/^keys\.[a-z-]+\./, 'keys.<name>.'));
    const documented = Object.keys(OPTION_DOCS);
    expect([...new Set(leaves)].sort()).toEqual([...documented].sort());
    const page = docs('config.md');
    for (const option of documented) expect(page).toContain(`\`${option}\``);
  });
});
