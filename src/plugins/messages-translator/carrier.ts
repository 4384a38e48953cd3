import { isObject, openCarrier, sealCarrier } from '../../index.js';

/**
 * Claude's thinking must come back, signature intact, in the assistant turn it belongs to. It travels in the
 * reasoning item's `encrypted_content` (the shared sealed-carrier format), with the upstream model that wrote it:
 * signatures are only sent back to that model.
 */
export const THINKING_PREFIX = 'ccrx.a1.';
const DEFAULT_KEY = 'codex-code-router/messages-translator/thinking-carrier/v1';

export type ThinkingBlock = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

export interface CarriedThinking {
  blocks: ThinkingBlock[];
  model: string;
}

export function sealThinking(value: CarriedThinking, key = DEFAULT_KEY): string {
  return sealCarrier(THINKING_PREFIX, { b: value.blocks, m: value.model }, key);
}

/** Carried thinking by the opened carrier it came from (openCarrier gives the same frozen value for a blob it remembers). */
const decoded = new WeakMap<object, Readonly<CarriedThinking>>();
/** Each carried block's strings as written inside a JSON string (escaped, no quotes, UTF-8). */
const blockBytes = new WeakMap<object, Buffer[][]>();

/** The carried thinking (frozen), or undefined for anything that is not an intact carrier of this translator. */
export function openThinking(blob: unknown, key = DEFAULT_KEY): Readonly<CarriedThinking> | undefined {
  const json = openCarrier(THINKING_PREFIX, blob, key);
  if (!isObject(json) || !Array.isArray(json.b)) return undefined;
  const known = decoded.get(json);
  if (known) return known;
  const blocks: ThinkingBlock[] = [];
  for (const b of json.b as unknown[]) {
    if (isObject(b) && b.type === 'thinking' && typeof b.thinking === 'string' && typeof b.signature === 'string') blocks.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    else if (isObject(b) && b.type === 'redacted_thinking' && typeof b.data === 'string') blocks.push({ type: 'redacted_thinking', data: b.data });
    else return undefined;
  }
  const carried: CarriedThinking = { blocks: blocks.map((b) => Object.freeze(b)), model: typeof json.m === 'string' ? json.m : '' };
  Object.freeze(carried.blocks);
  decoded.set(json, Object.freeze(carried));
  return carried;
}

/**
 * The carried blocks with their strings as markers of a kept body (`keep`), their bytes made once per carrier: with
 * thinking on, a long session replays hundreds of thinking texts and signatures on every turn, about a third of its
 * Messages body, and serializing and encoding them each time cost about 2.7 ms per megabyte of history.
 */
export function keptThinking(carried: Readonly<CarriedThinking>, keep: (content: Buffer) => string): ThinkingBlock[] {
  let bytes = blockBytes.get(carried);
  if (!bytes) blockBytes.set(carried, (bytes = carried.blocks.map((b) => (b.type === 'thinking' ? [escaped(b.thinking), escaped(b.signature)] : [escaped(b.data)]))));
  return carried.blocks.map((b, i) => {
    const [first, second] = bytes[i]!;
    return b.type === 'thinking' ? { type: 'thinking', thinking: keep(first!), signature: keep(second!) } : { type: 'redacted_thinking', data: keep(first!) };
  });
}

const escaped = (text: string) => Buffer.from(JSON.stringify(text).slice(1, -1));
