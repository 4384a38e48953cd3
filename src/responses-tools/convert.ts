import type { Logger } from '../core/logger.js';
import { isObject, type JsonObject } from '../json/is-object.js';
import { defaultField, flattenName, ToolMap, type ToolTarget } from './tool-map.js';

// Codex's Responses tool declarations as Chat Completions functions; copilot-tools reuses this for Copilot.

const COLLABORATION_PLAINTEXT = new Set(['spawn_agent', 'send_message', 'followup_task']);

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** Converts Codex's `tools` to Chat functions in order, building the request's name map. */
export function convertTools(tools: unknown, log: Logger): { tools: ChatTool[]; map: ToolMap } {
  const map = new ToolMap();
  const out: ChatTool[] = [];
  for (const tool of Array.isArray(tools) ? (tools as unknown[]) : []) {
    if (!isObject(tool)) continue;
    if (tool.type === 'function') addFunction(tool, undefined, map, out);
    else if (tool.type === 'custom') addCustom(tool, undefined, map, out);
    else if (tool.type === 'namespace' && typeof tool.name === 'string') {
      for (const child of Array.isArray(tool.tools) ? (tool.tools as unknown[]) : []) {
        if (!isObject(child)) continue;
        if (child.type === 'function') addFunction(child, tool.name, map, out);
        // Codex executes a namespaced freeform tool under its bare name (codex-relay issue #61).
        else if (child.type === 'custom') addCustom(child, undefined, map, out);
        else log.debug({ tool: child.type, namespace: tool.name }, 'chat-translator: dropping unsupported namespace child tool');
      }
    } else log.debug({ tool: tool.type }, 'chat-translator: dropping built-in tool the Chat API cannot run');
  }
  return { tools: out, map };
}

function addFunction(tool: JsonObject, namespace: string | undefined, map: ToolMap, out: ChatTool[]): void {
  // An already-nested Chat function passes through unchanged.
  const nested = isObject(tool.function) ? tool.function : undefined;
  const name = typeof (nested ?? tool).name === 'string' ? ((nested ?? tool).name as string) : undefined;
  if (!name) return;
  const upstream = flattenName(namespace, name);
  const spec = nested ?? tool;
  const fn: ChatTool['function'] = { name: upstream };
  if (typeof spec.description === 'string') fn.description = spec.description;
  if (spec.parameters !== undefined) fn.parameters = spec.parameters;
  if (spec.strict === true) fn.strict = true;
  out.push({ type: 'function', function: fn });
  if (name === 'apply_patch' && !namespace) {
    // Codex declares apply_patch as a function in some setups but only executes a custom_tool_call back.
    map.add(upstream, { kind: 'custom', name, field: singleStringField(spec.parameters) ?? 'input' });
    return;
  }
  const target: ToolTarget = { kind: 'function', name };
  if (namespace) target.namespace = namespace;
  if (namespace === 'collaboration' && COLLABORATION_PLAINTEXT.has(name)) target.plaintextArgs = true;
  map.add(upstream, target);
}

function addCustom(tool: JsonObject, namespace: string | undefined, map: ToolMap, out: ChatTool[]): void {
  if (typeof tool.name !== 'string' || !tool.name) return;
  const field = defaultField(tool.name);
  const upstream = flattenName(namespace, tool.name);
  let description = typeof tool.description === 'string' && tool.description ? tool.description : 'Provide the raw custom tool input.';
  description += `\n\nPut the raw input text, unchanged, in the \`${field}\` string parameter.`;
  const format = isObject(tool.format) ? tool.format : undefined;
  if (format?.type === 'grammar' && typeof format.definition === 'string') {
    description += ` It must match this ${typeof format.syntax === 'string' ? format.syntax : ''} grammar:\n${format.definition}`;
  }
  out.push({
    type: 'function',
    function: {
      name: upstream,
      description,
      parameters: { type: 'object', properties: { [field]: { type: 'string', description: `The raw ${tool.name} input.` } }, required: [field], additionalProperties: false },
    },
  });
  map.add(upstream, { kind: 'custom', name: tool.name, field });
}

function singleStringField(parameters: unknown): string | undefined {
  if (!isObject(parameters) || !isObject(parameters.properties)) return undefined;
  const props = Object.entries(parameters.properties).filter(([, v]) => isObject(v) && v.type === 'string');
  const required = Array.isArray(parameters.required) ? (parameters.required as string[]) : [];
  return props.find(([k]) => required.includes(k))?.[0] ?? props[0]?.[0];
}
