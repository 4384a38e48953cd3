import type { JsonObject } from '../../index.js';
import type { Block, Turn } from './turns.js';

const EPHEMERAL = { type: 'ephemeral' } as const;
/** Blocks that cannot carry `cache_control`. */
const UNMARKABLE = new Set(['thinking', 'redacted_thinking']);

/**
 * Codex resends its whole history every request, so the prefix grows and stays the same. Four breakpoints (the API's
 * limit), in the order the API caches (tools → system → messages): the last tool, the last system block, the end of
 * the previous request (the last block of the user turn before the last one: in a tool loop, where the previous
 * request ended and wrote its cache entry), and the end of this request, which the next one reads.
 */
export function markCachePrefix(tools: JsonObject[], system: JsonObject[], messages: Turn[]): void {
  const marks: JsonObject[] = [];
  // Never more than four marks: the tools' (made here, or made once with a converted array) always stays.
  if (tools.length) marks.push(tools.at(-1)!);
  if (system.length) marks.push(system.at(-1)!);
  const users = messages.filter((t) => t.role === 'user');
  const previous = users.length >= 2 ? lastMarkable(users.at(-2)!) : undefined;
  const current = lastMarkable(messages.at(-1));
  if (previous && previous !== current) marks.push(previous);
  if (current) marks.push(current);
  for (const block of marks.slice(-4)) markBlock(block);
}

/** A cache breakpoint after this block (the last tool of a converted tools array is marked with this too). */
export function markBlock(block: JsonObject): void {
  block.cache_control = { ...EPHEMERAL };
}

function lastMarkable(turn: Turn | undefined): Block | undefined {
  if (!turn) return undefined;
  for (let i = turn.content.length - 1; i >= 0; i--) if (!UNMARKABLE.has(turn.content[i]!.type)) return turn.content[i];
  return undefined;
}
