import { CLOSE_ARRAY, COMMA } from '../json/bytes.js';
import { keepTexts, type KeptBody, type KeptTextPlaces } from './kept-texts.js';

/**
 * A request's history up to an item boundary, with what a translator made of it. Codex sends the whole
 * conversation on every turn, the previous turn's bytes first: the items a translator has already translated come
 * back byte for byte, and only the few new ones need translating (a long session's request is a megabyte; its new
 * items are a few kilobytes).
 */
export interface HistoryPrefix<S> {
  /**
   * The request's bytes up to the end of item `items - 1` of its `input`, in pieces: the first request's, then what
   * each later turn added, each a copy (no entry holds a request's body).
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
  /** Every buffer the entry holds (its bytes' and its state's): the large ones are the cache's to reuse when it goes. */
  readonly held: readonly Buffer[];
}

/** What a translator remembers of a prefix: the items it covers, and the bytes it holds besides the prefix's. */
export interface RememberedHistory {
  resumed: { items: number };
  /** What was made of the prefix's items, serialized: pieces the body takes as they are. */
  sealed: readonly Buffer[];
  /** Texts the prefix's items added to the system prompt, as JSON string content. */
  systemParts: readonly Buffer[];
  /** The request's `tools` as sent (a copy): the tool map the prefix's calls were named by. */
  tools: Buffer | undefined;
}

/** A body that starts with a remembered prefix, and the rest of it kept as texts (`keepTexts`). */
export interface ResumedBody<S> {
  match: PrefixMatch<S>;
  kept: KeptBody;
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
 *
 * Large pieces are copies into buffers the cache allocates and, when an entry goes, reuses. Held by an entry, a
 * request's megabyte lives through several collections: freed when the entry goes, it is garbage in V8's old
 * generation, and a new session every few requests (the bench's first requests) made V8 run a full collection
 * every 15 or so, a few milliseconds of CPU per request. Copied into buffers that are reused, nothing is freed.
 */
export class HistoryPrefixes<S extends RememberedHistory> {
  readonly #entries: HistoryPrefix<S>[] = [];
  #size = 0;
  /** Buffers of entries that went, whole, for the next large copies; at most `maxBytes / 4` of them. */
  readonly #free: Buffer[] = [];
  #freeBytes = 0;
  /** Requests that went on from a remembered prefix. */
  #resumed = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number,
  ) {}

  /** The body's remembered prefix and the rest of it kept as texts at `places`; undefined to translate it whole. */
  resume(body: Buffer, places: KeptTextPlaces): ResumedBody<S> | undefined {
    const match = this.match(body);
    if (!match) return undefined;
    // The rest may be small: it is kept whatever its size, so that its items' ends are known.
    const known = match.prefix.state.tools;
    const kept = keepTexts(match.rest, places, 0, known ? [known] : undefined);
    return kept?.input ? { match, kept } : undefined;
  }

  /**
   * Remembers what translating `body` left to remember (`next`, made from `kept`: the body's, or the rest's after
   * `match`), in place of the prefix it went on from; counts a request that went on from one.
   */
  keep(body: Buffer, kept: KeptBody, next: S | undefined, match: PrefixMatch<S> | undefined): void {
    if (match) this.#resumed += 1;
    const entry = next && this.#entry(body, kept, next, match);
    if (entry) this.remember(entry, match?.prefix);
  }

  /** What `/health` shows: sessions held, their bytes, and requests that went on from one. */
  stats(): { sessions: number; bytes: number; resumed: number } {
    return { sessions: this.#entries.length, bytes: this.#size, resumed: this.#resumed };
  }

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

  /** Keeps `prefix`, first; in place of `replacing` (the prefix it grew from, whose pieces it shares) when that is still here. */
  remember(prefix: HistoryPrefix<S>, replacing?: HistoryPrefix<S>): void {
    if (this.capacity <= 0 || prefix.size > this.maxBytes) return this.#drop([prefix]);
    const entries = this.#entries;
    const old = replacing ? entries.indexOf(replacing) : -1;
    if (old >= 0) {
      entries.splice(old, 1);
      this.#size -= replacing!.size;
    }
    entries.unshift(prefix);
    this.#size += prefix.size;
    const gone: HistoryPrefix<S>[] = [];
    while (entries.length > this.capacity || this.#size > this.maxBytes) {
      const last = entries.pop()!;
      this.#size -= last.size;
      gone.push(last);
    }
    this.#drop(gone);
  }

  /**
   * `bytes` copied into a buffer of the cache's own (one that an entry that went held, when one is large enough),
   * for an entry to hold. Small pieces are plain copies: they cost a collection nothing worth saving.
   */
  copy(bytes: Buffer): Buffer {
    const into = this.#room(bytes.length);
    bytes.copy(into, 0);
    return into;
  }

  /** `length` bytes to write, in a buffer that went with an entry when one fits (not more than twice as large). */
  #room(length: number): Buffer {
    if (length < LARGE) return Buffer.allocUnsafe(length);
    let best = -1;
    for (let k = 0; k < this.#free.length; k++) {
      const room = this.#free[k]!.length;
      if (room >= length && room <= length * 2 && (best < 0 || room < this.#free[best]!.length)) best = k;
    }
    if (best < 0) return Buffer.allocUnsafeSlow(Math.ceil(length * 1.25)).subarray(0, length);
    const into = this.#free.splice(best, 1)[0]!;
    this.#freeBytes -= into.length;
    return into.subarray(0, length);
  }

  /**
   * The large buffers of entries that went, that no entry still here holds, kept for `copy`; past `maxBytes / 4`,
   * the oldest spare ones go. Sessions change size: a 5 MB session after 1 MB ones finds no spare buffer large enough,
   * and if the 1 MB ones stayed, none of its own would ever be kept, so every such request would leave two new
   * buffers of garbage in the old generation (V8 then ran six times as many full collections).
   */
  #drop(gone: readonly HistoryPrefix<S>[]): void {
    if (!gone.length) return;
    const live = new Set<ArrayBufferLike>();
    for (const entry of this.#entries) for (const piece of entry.held) live.add(piece.buffer);
    const seen = new Set<ArrayBufferLike>();
    const spare = this.maxBytes / 4;
    for (const entry of gone) {
      for (const piece of entry.held) {
        const whole = piece.buffer;
        if (piece.length < LARGE || live.has(whole) || seen.has(whole) || whole.byteLength > spare) continue;
        seen.add(whole);
        this.#free.push(Buffer.from(whole, 0, whole.byteLength));
        this.#freeBytes += whole.byteLength;
      }
    }
    while (this.#freeBytes > spare) this.#freeBytes -= this.#free.shift()!.length;
  }

  /** A long session adds a piece a turn (to its bytes, to what was made of them): past this many, they are joined once. */
  static readonly MAX_PIECES = 64;

  /** The pieces as one of the cache's buffers, `separator` (a byte) between them if given. */
  joined(pieces: readonly Buffer[], separator?: number): Buffer {
    const gaps = separator === undefined ? 0 : pieces.length - 1;
    const out = this.#room(pieces.reduce((n, piece) => n + piece.length, 0) + gaps);
    let at = 0;
    pieces.forEach((piece, k) => {
      if (k > 0 && separator !== undefined) out[at++] = separator;
      at += piece.copy(out, at);
    });
    return out;
  }

  /** The entry for `state`: the body's bytes up to the end of item `state.resumed.items - 1`; the matched prefix when that adds none. */
  #entry(body: Buffer, kept: KeptBody, state: S, match: PrefixMatch<S> | undefined): HistoryPrefix<S> | undefined {
    const items = state.resumed.items;
    const skipped = match ? match.prefix.items : 0;
    if (items === skipped) return match?.prefix;
    const end = kept.input?.ends[items - skipped - 1];
    if (end === undefined) return undefined;
    const length = match ? end - match.restAt + match.bodyAt : end;
    const grown = match ? [...match.prefix.bytes, this.copy(body.subarray(match.prefix.length, length))] : [this.copy(body.subarray(0, length))];
    const bytes = grown.length > HistoryPrefixes.MAX_PIECES ? [this.joined(grown)] : grown;
    const open = match ? match.prefix.open : kept.input!.open;
    const held = [...bytes, ...state.sealed, ...state.systemParts, ...(state.tools ? [state.tools] : [])];
    return { bytes, length, open, items, state, size: held.reduce((n, piece) => n + heldBytes(piece), 0), held };
  }

  /**
   * A serialized array's elements (`serialized`, its markers put back by `kept`) as a piece for an entry to hold:
   * written into one of the cache's buffers, brackets left out. Undefined when a marker did not come back whole.
   */
  piece(kept: KeptBody, serialized: string): Buffer | undefined {
    const bytes = kept.restore(serialized, (size) => this.#room(size));
    return bytes?.subarray(1, bytes.length - 1);
  }

  /** `pieces` with `piece` (made by `piece`) added; joined with commas once there are too many. */
  withPiece(pieces: readonly Buffer[] | undefined, piece: Buffer | undefined): Buffer[] {
    const all = pieces ? [...pieces] : [];
    if (piece) all.push(piece);
    return all.length > HistoryPrefixes.MAX_PIECES ? [this.joined(all, COMMA)] : all;
  }
}


/** Pieces at least this large are copied into the cache's own buffers (`copy`). */
const LARGE = 64 * 1024;

/** What a piece costs the cache: the whole buffer of a large one (copies leave room to be reused), else its bytes. */
const heldBytes = (piece: Buffer) => (piece.length >= LARGE ? piece.buffer.byteLength : piece.length);

function startsWith(body: Buffer, pieces: readonly Buffer[]): boolean {
  let at = 0;
  for (const piece of pieces) {
    if (body.compare(piece, 0, piece.length, at, at + piece.length) !== 0) return false;
    at += piece.length;
  }
  return true;
}

/**
 * A remembered prefix does not fit this request (another model, other tools, thinking dropped): the translator drops
 * it and translates the whole body.
 */
export class PrefixUnusable extends Error {}

/** Whether two optional byte strings (a request's tools, say) are both absent or the same bytes. */
export function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.equals(b);
}

/** A translator's string (kept texts' markers in it) as JSON string content, escaped, no quotes: what `keep` takes. */
export function stringContent(kept: KeptBody, text: string): Buffer | undefined {
  const bytes = kept.restore(JSON.stringify(text));
  return bytes && Buffer.from(bytes.subarray(1, bytes.length - 1));
}
