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

/** The carried thinking, or undefined for anything that is not an intact carrier of this translator. */
export function openThinking(blob: unknown, key = DEFAULT_KEY): CarriedThinking | undefined {
  const json = openCarrier(THINKING_PREFIX, blob, key);
  if (!isObject(json) || !Array.isArray(json.b)) return undefined;
  const blocks: ThinkingBlock[] = [];
  for (const b of json.b as unknown[]) {
    if (isObject(b) && b.type === 'thinking' && typeof b.thinking === 'string' && typeof b.signature === 'string') blocks.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    else if (isObject(b) && b.type === 'redacted_thinking' && typeof b.data === 'string') blocks.push({ type: 'redacted_thinking', data: b.data });
    else return undefined;
  }
  return { blocks, model: typeof json.m === 'string' ? json.m : '' };
}
