import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * The configuration's JSON Schema (`z.toJSONSchema` of configSchema, as the file is written:
 * options with defaults are not required). docs/config.md is generated from it and config
 * errors read it for "did you mean" and "the default", so neither depends on zod's internals.
 */
export interface OptionSchema {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly defaultText?: string;
  readonly entryName?: string;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, OptionSchema>>;
  readonly additionalProperties?: OptionSchema | boolean;
  /** A list's entries (`auth.issuers[]`, `authz.roles.<role>[]`). */
  readonly items?: OptionSchema;
}

let cached: OptionSchema | undefined;

export function configJsonSchema(): OptionSchema {
  cached ??= z.toJSONSchema(configSchema, { io: 'input' }) as OptionSchema;
  return cached;
}

/**
 * The schema of the option or section at a dotted path; the segment below a section of named
 * entries (`providers.openai`) is any name. Undefined when nothing is allowed there.
 */
export function optionSchemaAt(path: readonly string[]): OptionSchema | undefined {
  let node: OptionSchema | undefined = configJsonSchema();
  for (const segment of path) {
    if (node === undefined) return undefined;
    const properties: OptionSchema['properties'] = node.properties;
    const additionalProperties: OptionSchema['additionalProperties'] = node.additionalProperties;
    if (properties !== undefined && Object.hasOwn(properties, segment)) {
      node = properties[segment];
    } else {
      node = typeof additionalProperties === 'object' ? additionalProperties : undefined;
    }
  }
  return node;
}
