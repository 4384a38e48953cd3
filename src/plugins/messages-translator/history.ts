import { PrefixUnusable, sameBytes, stringContent, type HistoryPrefixes, type KeptBody } from '../../index.js';
import type { ResumedTurns, Turn, TurnBuilder } from './turns.js';

/**
 * What the translator keeps of a session's history up to an item: the Messages turns made from it, final, and what
 * translating the items after it needs to know of it. The turns kept end before the third-to-last user turn: the
 * cache breakpoints (cache-control.ts) go on the last two, and a turn only changes while results may still join it.
 */
export interface MessagesHistory {
  /** The kept turns, serialized with their texts: comma-joined pieces without brackets, one per turn that added some. */
  sealed: Buffer[];
  /** The system texts the prefix's leading developer messages made, as JSON string content (escaped, no quotes). */
  systemParts: Buffer[];
  resumed: ResumedTurns;
  /** What decided how the prefix was translated: the upstream model, images, thinking asked (JSON). */
  asked: string;
  /** Whether the prefix's turns went with their thinking (a request whose last turn has none goes without). */
  thinking: boolean;
  /** The request's `tools` as sent: the tool map the prefix's calls were named by. */
  tools: Buffer | undefined;
}

/** The prefix's state when this request's head says it was translated the same way. */
export function checkFrom(from: MessagesHistory, asked: string, tools: Buffer | undefined): void {
  if (from.asked !== asked || !sameBytes(from.tools, tools)) throw new PrefixUnusable();
}

/**
 * A resumed request's own turns (after the prefix's) must be what translating the whole body makes after the kept
 * turns: starting with an assistant turn (a user one would join the last kept turn) and holding the last two user
 * turns (where the cache breakpoints go).
 */
export function checkResumed(turns: readonly Turn[]): void {
  if (turns[0]?.role !== 'assistant' || turns.filter((t) => t.role === 'user').length < 2) throw new PrefixUnusable();
}

/** What the request's head decided, for the history to remember; its system texts made only when one is. */
type SealHead = Omit<MessagesHistory, 'sealed' | 'resumed' | 'systemParts'> & { systemParts: () => Buffer[] };

/**
 * The turns with all before the third-to-last user turn's end as kept values, when those are final: made only from
 * items before the rest's, with every call answered among them. Returns the body's messages and what to remember.
 */
export function sealTurns(turns: Turn[], builder: TurnBuilder, kept: KeptBody, from: MessagesHistory | undefined, cache: HistoryPrefixes<MessagesHistory>, head: SealHead): { messages: unknown[]; next: MessagesHistory | undefined } {
  const marked = (pieces: readonly Buffer[]) => pieces.map((piece) => kept.keepJson(piece));
  const unchanged = { messages: [...marked(from?.sealed ?? []), ...turns], next: from };
  const users = turns.flatMap((t, i) => (t.role === 'user' ? [i] : []));
  if (users.length < 3) return unchanged;
  const cut = users.at(-3)! + 1;
  let last = -1;
  for (const turn of turns.slice(0, cut)) {
    for (const block of turn.content) {
      const item = builder.itemOf.get(block);
      if (item === undefined || item === Infinity) return unchanged;
      last = Math.max(last, item);
    }
  }
  for (const turn of turns.slice(cut)) for (const block of turn.content) if ((builder.itemOf.get(block) ?? Infinity) <= last) return unchanged;
  const items = last + 1;
  if (items <= (from?.resumed.items ?? 0) || !builder.settled[last]) return unchanged;
  const piece = cache.piece(kept, JSON.stringify(turns.slice(0, cut)));
  if (!piece) return unchanged;
  const sealed = cache.withPiece(from?.sealed, piece);
  // The request's tools are its body's bytes: held as a copy, made once per session.
  const tools = from?.tools ?? (head.tools && cache.copy(head.tools));
  const next: MessagesHistory = { ...head, systemParts: head.systemParts(), tools, sealed, resumed: { items, ...builder.idsBefore(items) } };
  return { messages: [...marked(sealed), ...turns.slice(cut)], next };
}

/** System texts as JSON string content: what `keep` puts back into a later request's body. */
export function contentOf(kept: KeptBody, text: string): Buffer {
  const bytes = stringContent(kept, text);
  if (!bytes) throw new PrefixUnusable();
  return bytes;
}
