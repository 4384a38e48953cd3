import { CLOSE_ARRAY, COMMA } from '../json/bytes.js';
import type { KeptBody } from './kept-texts.js';

/**
 * A request's history up to an item boundary, with what a translator made of it. Codex sends the whole
 * conversation on every turn, the previous turn's bytes first: the items a translator has already translated come
 * back byte for byte, and only the few new ones need translating (a long session's request is a megabyte; its new
 * items are a few kilobytes).
 */
export interface HistoryPrefix<S> {
  /**
   * The request's bytes up to the end of item `items - 1` of its `input`, in pieces: the first request's own bytes
   * (never written), then a copy of what each later turn added, so that no entry holds a later turn's whole body.
   */
  readonly bytes: readonly Buffer[];
  /** How many bytes `bytes` holds. */
  readonly length: number;
  /** The index of `input`'s `[` in `bytes`. */
  readonly open: number;
  /** How many of `input`'s items `bytes` holds. */
  readonly items: number;
  /** What the translator keeps of those items (its output for them, and its state after the last). */
  readonly state: S;
  /** Bytes this entry holds, the state's included. */
  readonly size: number;
}

/** A remembered prefix a body starts with, and the body without the prefix's items: what is left to parse. */
export interface PrefixMatch<S> {
  prefix: HistoryPrefix<S>;
  /** The body with `input`'s first `prefix.items` items taken out: its own JSON, with the same head and tail. */
  rest: Buffer;
  /** Where the body's bytes that follow the prefix start in `rest`, and in the body: `rest` offsets past it map by their difference. */
  restAt: number;
  bodyAt: number;
}

/**
 * The histories of a few sessions, most recently used first; bounded by entries and bytes (each holds its prefix of
 * a request and the translation of that prefix, about twice the prefix). A body matches a prefix when its first
 * bytes are the prefix's bytes exactly and an item boundary follows: a `memcmp` of the prefix, which stops at the
 * first byte that differs (two sessions differ within their first items).
 */
export class HistoryPrefixes<S> {
  readonly #entries: HistoryPrefix<S>[] = [];
  #size = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number,
  ) {}

  match(body: Buffer): PrefixMatch<S> | undefined {
    for (const prefix of this.#entries) {
      const length = prefix.length;
      if (length >= body.length || !startsWith(body, prefix.bytes)) continue;
      let at = length;
      while (body[at] === 0x20 || body[at] === 0x0a || body[at] === 0x0d || body[at] === 0x09) at += 1;
      if (body[at] !== COMMA && body[at] !== CLOSE_ARRAY) continue;
      // After a comma, the next item is the first of the rest; at the close, the rest's input is empty.
      const bodyAt = body[at] === COMMA ? at + 1 : at;
      const restAt = prefix.open + 1;
      const rest = Buffer.allocUnsafe(restAt + body.length - bodyAt);
      body.copy(rest, 0, 0, restAt);
      body.copy(rest, restAt, bodyAt);
      return { prefix, rest, restAt, bodyAt };
    }
    return undefined;
  }

  /** Keeps `prefix`, first; in place of `replacing` (the prefix it grew from) when that is still here. */
  remember(prefix: HistoryPrefix<S>, replacing?: HistoryPrefix<S>): void {
    if (this.capacity <= 0 || prefix.size > this.maxBytes) return;
    const entries = this.#entries;
    const old = replacing ? entries.indexOf(replacing) : -1;
    if (old >= 0) {
      entries.splice(old, 1);
      this.#size -= replacing!.size;
    }
    entries.unshift(prefix);
    this.#size += prefix.size;
    while (entries.length > this.capacity || this.#size > this.maxBytes) this.#size -= entries.pop()!.size;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** A long session adds a piece a turn (to its bytes, to what was made of them): past this many, they are joined once. */
  static readonly MAX_PIECES = 64;

  /** The pieces as one buffer, `separator` (a byte) between them if given. */
  static joined(pieces: readonly Buffer[], separator?: number): Buffer {
    const gaps = separator === undefined ? 0 : pieces.length - 1;
    const out = Buffer.allocUnsafe(pieces.reduce((n, piece) => n + piece.length, 0) + gaps);
    let at = 0;
    pieces.forEach((piece, k) => {
      if (k > 0 && separator !== undefined) out[at++] = separator;
      at += piece.copy(out, at);
    });
    return out;
  }

  /**
   * The entry to remember for a translated body: its bytes up to the end of item `items - 1` and `state`, which
   * holds `held` besides. `kept` is the body kept as texts (the rest after `match`'s prefix, when it matched one):
   * its items' ends are where the bytes end. The matched prefix itself when nothing was added to it.
   */
  static entry<S>(body: Buffer, kept: KeptBody, state: S, items: number, match: PrefixMatch<S> | undefined, held: readonly Buffer[]): HistoryPrefix<S> | undefined {
    const skipped = match ? match.prefix.items : 0;
    if (items === skipped) return match?.prefix;
    const end = kept.input?.ends[items - skipped - 1];
    if (end === undefined) return undefined;
    const length = match ? end - match.restAt + match.bodyAt : end;
    const grown = match ? [...match.prefix.bytes, Buffer.from(body.subarray(match.prefix.length, length))] : [body.subarray(0, length)];
    const bytes = grown.length > HistoryPrefixes.MAX_PIECES ? [HistoryPrefixes.joined(grown)] : grown;
    const open = match ? match.prefix.open : kept.input!.open;
    return { bytes, length, open, items, state, size: held.reduce((n, piece) => n + piece.length, length) };
  }

  get bytes(): number {
    return this.#size;
  }
}


function startsWith(body: Buffer, pieces: readonly Buffer[]): boolean {
  let at = 0;
  for (const piece of pieces) {
    if (body.compare(piece, 0, piece.length, at, at + piece.length) !== 0) return false;
    at += piece.length;
  }
  return true;
}

/**
 * `pieces` with a serialized array's elements added as one more piece (`serialized`: `restore`'s own buffer, whose
 * brackets are left out, not copied); joined with commas once there are too many.
 */
export function withPiece(pieces: readonly Buffer[] | undefined, serialized: Buffer | undefined): Buffer[] {
  const all = pieces ? [...pieces] : [];
  if (serialized) all.push(serialized.subarray(1, serialized.length - 1));
  return all.length > HistoryPrefixes.MAX_PIECES ? [HistoryPrefixes.joined(all, COMMA)] : all;
}

/** A translator's string (kept texts' markers in it) as JSON string content, escaped, no quotes: what `keep` takes. */
export function stringContent(kept: KeptBody, text: string): Buffer | undefined {
  const bytes = kept.restore(JSON.stringify(text));
  return bytes && Buffer.from(bytes.subarray(1, bytes.length - 1));
}
