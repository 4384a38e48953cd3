import { builtins } from '../plugins.config.js';
import { configSchema } from '../src/core/config.js';
import type { Plugin } from '../src/core/types.js';

interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: boolean | SchemaNode;
}

const BEGIN = '<!-- BEGIN GENERATED: npm run docs -->';
const END = '<!-- END GENERATED -->';

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  const type = Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
  if (type === 'array' && node.items) return `${typeOf(node.items)}[]`;
  return type;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function rows(props: Record<string, SchemaNode>, prefix: string, env: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, node] of Object.entries(props)) {
    const key = prefix + name;
    const def = node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``;
    const range = [node.minimum !== undefined ? `≥ ${node.minimum}` : '', node.maximum !== undefined ? `≤ ${node.maximum}` : ''].filter(Boolean).join(', ');
    out.push(`| \`${key}\` | ${typeOf(node)}${range ? ` (${range})` : ''} | ${def} | ${env[name] ? `\`${env[name]}\`` : ''} | ${cell(node.description ?? '')} |`);
    if (node.type === 'object' && node.properties) out.push(...rows(node.properties, `${key}.`, {}));
  }
  return out;
}

function table(props: Record<string, SchemaNode>, env: Record<string, string> = {}): string {
  return ['| Option | Type | Default | Environment | Description |', '|---|---|---|---|---|', ...rows(props, '', env)].join('\n');
}

/** The generated part of docs/config.md: the config file's keys and every built-in plugin's options, from their schemas. */
export async function renderConfigReference(): Promise<string> {
  const parts = [BEGIN, '', '## Config file keys', '', table(configSchema.properties as unknown as Record<string, SchemaNode>), ''];
  for (const [name, load] of Object.entries(builtins).sort(([a], [b]) => a.localeCompare(b))) {
    const value = await load();
    const plugin = (typeof value === 'function' ? (value as () => Plugin)() : value) as Plugin;
    const schema = (plugin.schema ?? {}) as SchemaNode;
    const env = Object.fromEntries(Object.entries(plugin.env ?? {}).map(([k, b]) => [k, typeof b === 'string' ? b : (b as { name: string }).name]));
    parts.push(`## \`${name}\``, '');
    if (schema.description) parts.push(schema.description, '');
    if (plugin.dependencies?.length) parts.push(`Needs earlier in the chain: ${plugin.dependencies.map((d) => `\`${d}\``).join(', ')}.`, '');
    parts.push(schema.properties && Object.keys(schema.properties).length ? table(schema.properties, env) : 'No options.', '');
  }
  parts.push(END);
  return parts.join('\n');
}

/** Replaces the generated section of a document. */
export function spliceGenerated(doc: string, generated: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < 0) return `${doc.trimEnd()}\n\n${generated}\n`;
  return doc.slice(0, start) + generated + doc.slice(end + END.length);
}
