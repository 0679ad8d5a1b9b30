/**
 * Tool calls, as a model that decides to call a tool answers: when a request offers tools and
 * does not forbid them, the mock calls one — the tool `tool_choice` names, else the first — with
 * arguments synthesised from the tool's JSON Schema (every required property, the first enum
 * value, a placeholder per type). Once the conversation carries a tool result, it answers with
 * text, as a model does after it got what it asked for, so agent loops in tests terminate.
 */
import type { JsonObject } from './routes.js';

export interface ToolCall {
  readonly name: string;
  /** The arguments as a JSON text (OpenAI sends them as a string; Anthropic as an object). */
  readonly arguments: string;
}

/** Schemas nest; a hostile or cyclic-looking one must not make the mock recurse without end. */
const MAX_DEPTH = 8;
const MAX_PROPERTIES = 64;

/** The tool call an OpenAI chat request asks for, or undefined when it should get text. */
export function openAiToolCall(body: JsonObject): ToolCall | undefined {
  const tools = functions(body.tools, (tool) => {
    const fn = asObject(tool.function);
    return tool.type === 'function' && fn !== undefined && typeof fn.name === 'string'
      ? { name: fn.name, schema: fn.parameters }
      : undefined;
  });
  if (tools.length === 0 || lastRole(body.messages) === 'tool') return undefined;
  const choice = body.tool_choice;
  if (choice === 'none') return undefined;
  const named = asObject(asObject(choice)?.function)?.name;
  return call(tools, typeof named === 'string' ? named : undefined);
}

/** The tool use an Anthropic Messages request asks for, or undefined when it should get text. */
export function anthropicToolCall(body: JsonObject): ToolCall | undefined {
  const tools = functions(body.tools, (tool) =>
    typeof tool.name === 'string' && (tool.type === undefined || tool.type === 'custom')
      ? { name: tool.name, schema: tool.input_schema }
      : undefined,
  );
  if (tools.length === 0 || endsWithToolResult(body.messages)) return undefined;
  const choice = asObject(body.tool_choice);
  if (choice?.type === 'none') return undefined;
  return call(
    tools,
    choice?.type === 'tool' && typeof choice.name === 'string' ? choice.name : undefined,
  );
}

interface Tool {
  readonly name: string;
  readonly schema: unknown;
}

function functions(value: unknown, read: (tool: JsonObject) => Tool | undefined): Tool[] {
  if (!Array.isArray(value)) return [];
  const tools: Tool[] = [];
  for (const entry of value) {
    const tool = asObject(entry);
    const found = tool === undefined ? undefined : read(tool);
    if (found !== undefined) tools.push(found);
  }
  return tools;
}

function call(tools: readonly Tool[], named: string | undefined): ToolCall | undefined {
  const tool = named === undefined ? tools[0] : tools.find((t) => t.name === named);
  if (tool === undefined) return undefined;
  return { name: tool.name, arguments: JSON.stringify(example(tool.schema, 0) ?? {}) };
}

/** A value that satisfies the common shapes of a JSON Schema: what a model would fill in. */
function example(schema: unknown, depth: number): unknown {
  const s = asObject(schema);
  if (s === undefined || depth > MAX_DEPTH) return {};
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0] as unknown;
  if (s.const !== undefined) return s.const;
  const type = Array.isArray(s.type) ? (s.type as unknown[])[0] : s.type;
  switch (type) {
    case 'string':
      return 'mock';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return typeof s.minItems === 'number' && s.minItems > 0 ? [example(s.items, depth + 1)] : [];
    default: {
      const properties = asObject(s.properties) ?? {};
      const required = Array.isArray(s.required)
        ? s.required.filter((key): key is string => typeof key === 'string')
        : [];
      const out: Record<string, unknown> = {};
      for (const key of required.slice(0, MAX_PROPERTIES)) {
        out[key] = example(properties[key], depth + 1);
      }
      return out;
    }
  }
}

function lastRole(messages: unknown): unknown {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  return asObject(messages[messages.length - 1])?.role;
}

function endsWithToolResult(messages: unknown): boolean {
  if (!Array.isArray(messages) || messages.length === 0) return false;
  const content = asObject(messages[messages.length - 1])?.content;
  return Array.isArray(content) && content.some((block) => asObject(block)?.type === 'tool_result');
}

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}
