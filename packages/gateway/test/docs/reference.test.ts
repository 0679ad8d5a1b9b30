import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, type OptionSchema } from '../../src/config/json-schema.js';
import { GATEWAY_ERRORS } from '../../src/errors.js';

const docs = (name: string) =>
  readFileSync(new URL(`../../../../docs/${name}`, import.meta.url), 'utf8');

/** Every leaf option of the JSON Schema with its dotted path; named entries as `<name>`. */
function leaves(node: OptionSchema, path: string[] = []): [string, OptionSchema][] {
  const children: [string, OptionSchema][] = Object.entries(node.properties ?? {});
  const values = node.additionalProperties;
  if (node.entryName !== undefined && typeof values === 'object') {
    children.push([node.entryName, values]);
  }
  if (children.length === 0) return [[path.join('.'), node]];
  return children.flatMap(([key, child]) => leaves(child, [...path, key]));
}

describe('generated reference pages', () => {
  it('every gateway error code is documented in docs/errors.md', () => {
    const page = docs('errors.md');
    for (const code of Object.keys(GATEWAY_ERRORS)) expect(page).toContain(`\`${code}\``);
  });

  it('every leaf option in the config JSON Schema has a description', () => {
    const all = leaves(configJsonSchema());
    expect(all.length).toBeGreaterThan(40);
    const undocumented = all
      .filter(([, option]) => (option.description ?? '').trim() === '')
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it('docs/config.md has a row for every option', () => {
    const page = docs('config.md');
    const paths = leaves(configJsonSchema()).map(([path]) =>
      path.replace(/^keys\.[a-z-]+\./, 'keys.<name>.'),
    );
    for (const path of new Set(paths)) expect(page).toContain(`| \`${path}\` |`);
  });
});
