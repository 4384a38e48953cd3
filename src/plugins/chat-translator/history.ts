import { sameBytes, stringContent, type HistoryPrefixes, type KeptBody } from '../../index.js';
import type { Boundary, ChatMessage, MessageBuilder, Resumed } from './messages.js';

/**
 * What the translator keeps of a session's history up to an item boundary: the Chat messages made from it, final
 * (see `Boundary`), and what translating the items after it needs to know of it.
 */
export interface ChatHistory {
  /**
   * The prefix's messages after the system message, serialized with their texts: pieces of comma-joined messages
   * without brackets, one per turn that added some (a turn's are serialized once, never copied again).
   */
  sealed: Buffer[];
  /** The texts the prefix's items added to the system message, as JSON string content (escaped, no quotes). */
  systemParts: Buffer[];
  resumed: Resumed;
  /** The prefix's last user message (an item index), or -1. */
  lastUser: number;
  /** The request's `replayFrom` when the prefix was translated: reasoning was attached after it. */
  replayFrom: number;
  upstreamModel: string;
  /** The request's `tools` as sent: the tool map the prefix's calls were named by. */
  tools: Buffer | undefined;
}

/** The prefix's state when this request's head says it was translated the same way; else the request starts afresh. */
export function usableFrom(from: ChatHistory, upstreamModel: string, tools: Buffer | undefined, replayFrom: number): boolean {
  if (from.upstreamModel !== upstreamModel) return false;
  if (!sameBytes(from.tools, tools)) return false;
  // Reasoning is attached to the prefix's items after replayFrom: the same when both cut the prefix at one place.
  const last = from.resumed.items - 1;
  return Math.min(from.replayFrom, last) === Math.min(replayFrom, last);
}

/**
 * The request's messages with everything up to the last boundary as one kept value: the remembered prefix's bytes
 * and this request's final messages after it, serialized once. Returns the body's messages and the history to
 * remember, undefined when a marker did not come back whole (then the messages go as they are, after the prefix).
 */
export function sealMessages(
  system: ChatMessage | undefined,
  messages: ChatMessage[],
  builder: MessageBuilder,
  kept: KeptBody,
  from: ChatHistory | undefined,
  cache: HistoryPrefixes<ChatHistory>,
  head: { headSystem: number; lastUser: (before: number) => number; replayFrom: number; upstreamModel: string; tools: Buffer | undefined },
): { messages: unknown[]; next: ChatHistory | undefined } {
  const boundary = builder.boundary;
  const before = system ? [system] : [];
  const count = boundary ? boundary.messages : 0;
  const piece = count > 0 ? cache.piece(kept, JSON.stringify(messages.slice(0, count))) : undefined;
  const marked = (pieces: readonly Buffer[]) => pieces.map((piece) => kept.keepJson(piece));
  if (!boundary || (count > 0 && !piece)) return { messages: [...before, ...marked(from?.sealed ?? []), ...messages], next: undefined };
  const sealed = cache.withPiece(from?.sealed, piece);
  const next: ChatHistory = {
    sealed,
    systemParts: systemPartsOf(builder.system.slice(head.headSystem, boundary.system), from, kept),
    resumed: { items: boundary.items, ...builder.callsAt(boundary), lastAssistant: lastAssistantOf(boundary, kept) },
    lastUser: head.lastUser(boundary.items),
    replayFrom: head.replayFrom,
    upstreamModel: head.upstreamModel,
    // The request's tools are its body's bytes: held as a copy, made once per session.
    tools: from?.tools ?? (head.tools && cache.copy(head.tools)),
  };
  return { messages: [...before, ...marked(sealed), ...messages.slice(count)], next };
}

/**
 * The texts up to the boundary that went to the system message. The prefix's own come first, as its markers: their
 * bytes are the prefix's, taken as they are rather than put back from this body again on every turn.
 */
function systemPartsOf(texts: readonly string[], from: ChatHistory | undefined, kept: KeptBody): Buffer[] {
  const known = from && texts.length >= from.systemParts.length ? from.systemParts : [];
  return [...known, ...texts.slice(known.length).map((text) => contentOf(kept, text))];
}

function contentOf(kept: KeptBody, text: string): Buffer {
  const bytes = stringContent(kept, text);
  if (!bytes) throw new Error('a kept system text was not whole');
  return bytes;
}

function lastAssistantOf(boundary: Boundary, kept: KeptBody): string | undefined {
  if (boundary.lastAssistant === undefined || boundary.lastDecoded) return boundary.lastAssistant;
  return kept.text(boundary.lastAssistant);
}
