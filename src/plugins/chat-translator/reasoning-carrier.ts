import { isObject, openCarrier, sealCarrier, type JsonObject } from '../../index.js';

/**
 * The upstream's reasoning travels to the next request inside the reasoning item's `encrypted_content`, which Codex
 * echoes verbatim: `ccrx.r1.<base64url(deflate(JSON))>.<base64url(tag)>` (the shared carrier format); the text is
 * the summary Codex already shows.
 */
export const CARRIER_PREFIX = 'ccrx.r1.';
const DEFAULT_KEY = 'codex-code-router/chat-translator/reasoning-carrier/v1';

/** The carrier field of reasoning split out of `<think>` tags: it never goes back (those models' templates drop it). */
export const THINK_FIELD = 'think';

export interface CarriedReasoning {
  /** The reasoning text exactly as the upstream streamed it. */
  text: string;
  /** The upstream field it came in (`reasoning_content` or `reasoning`; `think` for `<think>` tags in the content). */
  field: string;
  /** Upstream model that produced it. */
  model: string;
  /** OpenRouter's `reasoning_details` (encrypted blocks, signatures), sent back as they came. */
  details?: JsonObject[];
}

export function encodeCarrier(value: CarriedReasoning, key = DEFAULT_KEY): string {
  return sealCarrier(CARRIER_PREFIX, { t: value.text, f: value.field, m: value.model, ...(value.details?.length ? { d: value.details } : {}) }, key);
}

/**
 * Carried reasoning by the opened carrier it came from: openCarrier gives the same (frozen) value for a blob it
 * remembers, so a history's reasoning is read once, and so are the bytes of its text.
 */
const decoded = new WeakMap<object, Readonly<CarriedReasoning>>();
const textBytes = new WeakMap<object, Buffer>();

/** The carried reasoning (frozen), or undefined for anything that is not an intact carrier of ours. */
export function decodeCarrier(blob: unknown, key = DEFAULT_KEY): Readonly<CarriedReasoning> | undefined {
  const json = openCarrier(CARRIER_PREFIX, blob, key);
  if (!isObject(json) || typeof json.t !== 'string') return undefined;
  const known = decoded.get(json);
  if (known) return known;
  const carried: CarriedReasoning = { text: json.t, field: typeof json.f === 'string' ? json.f : 'reasoning_content', model: typeof json.m === 'string' ? json.m : '' };
  if (Array.isArray(json.d)) carried.details = Object.freeze(json.d.filter(isObject)) as JsonObject[];
  Object.freeze(carried);
  decoded.set(json, carried);
  return carried;
}

/**
 * The carried text as it is written inside a JSON string (escaped, no quotes, UTF-8), made once per carrier: a long
 * session replays hundreds of reasoning texts on every turn, and serializing and encoding them again each time was
 * a third of the Chat body's bytes (docs/performance.md).
 */
export function carriedTextBytes(carried: Readonly<CarriedReasoning>): Buffer {
  let bytes = textBytes.get(carried);
  if (!bytes) textBytes.set(carried, (bytes = Buffer.from(JSON.stringify(carried.text).slice(1, -1))));
  return bytes;
}

/**
 * Fallback for clients that echo reasoning items without `encrypted_content`: reasoning item id → text, bounded by
 * entry count, least recently used first out. Codex itself never needs it.
 */
export class ReasoningCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  set(id: string, text: string): void {
    if (this.capacity <= 0 || !id || !text) return;
    this.entries.delete(id);
    this.entries.set(id, text);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  get(id: string): string | undefined {
    const text = this.entries.get(id);
    if (text !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, text);
    }
    return text;
  }

  get size(): number {
    return this.entries.size;
  }
}
