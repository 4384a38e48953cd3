import { createHash } from 'node:crypto';
import { GatewayError } from '../core/errors.js';

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

/** The string parameter a custom tool's raw input travels in upstream when nothing else says. */
export function defaultField(name: string): string {
  return name === 'apply_patch' ? 'patch' : 'input';
}
