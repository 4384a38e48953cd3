import { createHash } from 'node:crypto';
import { GatewayError, isObject, type Logger } from '../../index.js';

// request.ts still imports isObject from here.
export { isObject };

/** What an upstream tool name stands for on the Codex side. */
export interface ToolTarget {
  /** `custom` calls go back to Codex as `custom_tool_call` with raw `input` (apply_patch and other freeform tools). */
  kind: 'function' | 'custom';
  /** The name Codex declared (the inner name for a namespace child). */
  name: string;
  namespace?: string;
  /** For custom tools: the single string parameter that carries the raw input upstream. */
  field?: string;
  /** Codex multi-agent V2 calls that must carry `encrypted_function_args: []`. */
  plaintextArgs?: boolean;
}

/** Request-scoped, reversible map between Codex tool identities and upstream function names. */
export class ToolMap {
  readonly byUpstream = new Map<string, ToolTarget>();
  private readonly byCodex = new Map<string, string>();

  add(upstream: string, target: ToolTarget): void {
    if (this.byUpstream.has(upstream)) {
      throw new GatewayError({ status: 422, type: 'invalid_request_error', code: 'ambiguous_tool_name', message: `ambiguous tool name ${JSON.stringify(upstream)}: two tools map to the same upstream function name` });
    }
    this.byUpstream.set(upstream, target);
    this.byCodex.set(codexKey(target.kind, target.name, target.namespace), upstream);
  }

  /** The upstream name for a call Codex echoes in history; tools absent from this request flatten the same way. */
  upstreamName(kind: 'function' | 'custom', name: string, namespace?: string): string {
    return this.byCodex.get(codexKey(kind, name, namespace)) ?? flattenName(namespace, name);
  }

  /** The string field a custom tool's input travels in. */
  customField(name: string, namespace?: string): string {
    const upstream = this.byCodex.get(codexKey('custom', name, namespace));
    return (upstream && this.byUpstream.get(upstream)?.field) ?? defaultField(name);
  }

  /** Whether Codex's call named `name` is a custom tool in this request (function-declared apply_patch included). */
  isCustom(name: string, namespace?: string): boolean {
    return this.byCodex.has(codexKey('custom', name, namespace));
  }

  get size(): number {
    return this.byUpstream.size;
  }
}

function codexKey(kind: string, name: string, namespace: string | undefined): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

const MAX_NAME = 64;

/** `NS-child`, restricted to `[a-zA-Z0-9_-]` and 64 characters; a hash suffix keeps shortened names distinct. */
export function flattenName(namespace: string | undefined, name: string): string {
  const raw = namespace ? `${namespace}-${name}` : name;
  const safe = raw.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (safe.length <= MAX_NAME) return safe;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return `${safe.slice(0, MAX_NAME - 9)}_${hash}`;
}

function defaultField(name: string): string {
  return name === 'apply_patch' ? 'patch' : 'input';
}

const COLLABORATION_PLAINTEXT = new Set(['spawn_agent', 'send_message', 'followup_task']);

type Json = Record<string, unknown>;

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** Converts Codex's `tools` to Chat functions in order, building the request's name map. */
export function convertTools(tools: unknown, log: Logger): { tools: ChatTool[]; map: ToolMap } {
  const map = new ToolMap();
  const out: ChatTool[] = [];
  for (const tool of Array.isArray(tools) ? (tools as Json[]) : []) {
    if (!isObject(tool)) continue;
    if (tool.type === 'function') addFunction(tool, undefined, map, out);
    else if (tool.type === 'custom') addCustom(tool, undefined, map, out);
    else if (tool.type === 'namespace' && typeof tool.name === 'string') {
      for (const child of Array.isArray(tool.tools) ? (tool.tools as Json[]) : []) {
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

function addFunction(tool: Json, namespace: string | undefined, map: ToolMap, out: ChatTool[]): void {
  // An already-nested Chat function passes through unchanged.
  const nested = isObject(tool.function) ? (tool.function as Json) : undefined;
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

function addCustom(tool: Json, namespace: string | undefined, map: ToolMap, out: ChatTool[]): void {
  if (typeof tool.name !== 'string' || !tool.name) return;
  const field = defaultField(tool.name);
  const upstream = flattenName(namespace, tool.name);
  let description = typeof tool.description === 'string' && tool.description ? tool.description : 'Provide the raw custom tool input.';
  description += `\n\nPut the raw input text, unchanged, in the \`${field}\` string parameter.`;
  const format = isObject(tool.format) ? (tool.format as Json) : undefined;
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
  if (!isObject(parameters) || !isObject((parameters as Json).properties)) return undefined;
  const props = Object.entries((parameters as Json).properties as Json).filter(([, v]) => isObject(v) && (v as Json).type === 'string');
  const required = Array.isArray((parameters as Json).required) ? ((parameters as Json).required as string[]) : [];
  return props.find(([k]) => required.includes(k))?.[0] ?? props[0]?.[0];
}

/** Responses `tool_choice` → Chat; undefined when it should not be sent. */
export function convertToolChoice(choice: unknown, map: ToolMap): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice)) {
    const c = choice as Json;
    if ((c.type === 'function' || c.type === 'custom') && typeof c.name === 'string') {
      return { type: 'function', function: { name: map.upstreamName(c.type, c.name, typeof c.namespace === 'string' ? c.namespace : undefined) } };
    }
    if (c.type === 'function' && isObject(c.function)) return c;
  }
  return undefined;
}
