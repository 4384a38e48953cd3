import { createHash, randomBytes } from 'node:crypto';
import { isAscii, isUtf8 } from 'node:buffer';
import { BACKSLASH, QUOTE } from '../json/bytes.js';
import { KEPT_ASSISTANT, KEPT_TOOLS, scanKeptTexts, type InputItems, type Scanned } from './kept-scan.js';

/**
 * Texts kept as bytes through translation. A pasted file, a tool output, a message or an image's data URL is moved
 * from one place to another by a translator, never read; decoding it, parsing it, serializing it again and encoding
 * it again costs about 4 ms per megabyte. Strings at the places a translator only moves are replaced by short
 * markers before parsing and their original bytes (already valid JSON string content) are put back into the
 * serialized upstream body. Anything unexpected answers `undefined`, and the caller translates the whole parsed body.
 */

/**
 * Bodies below this are parsed whole (the scan would cost more than it saves). Codex's everyday requests are above
 * it: their 17 KB of instructions carry typographic non-ASCII characters, which make V8 parse, serialize and encode
 * the whole request as two-byte text (docs/performance.md).
 */
export const KEEP_MIN_BODY_BYTES = 16 * 1024;
/**
 * Strings at least this long (content bytes, as sent) are kept. A long session is thousands of texts of a few
 * hundred bytes to a few KiB; kept down to short ones, what is left to parse is the request's skeleton (ids, types,
 * tool definitions and the reasoning items' `encrypted_content`), ASCII, so V8 parses it as one-byte text.
 */
export const KEEP_MIN_STRING_BYTES = 32;

// \u0001 is escaped by JSON.stringify: a marker that was serialized twice (inside another JSON string) no longer
// matches, and is caught by the nonce check instead of being filled with bytes escaped once.
const nonce = randomBytes(9).toString('base64url');
const MARK = '\\u0001';
/** A marker as it is written in the text to parse and found in the serialized body: `"\u0001<nonce>:<id>\u0001"`. */
const OPEN = Buffer.from(`"${MARK}${nonce}:`);
const CLOSE = Buffer.from(`${MARK}"`);
const SERIALIZED_NONCE = Buffer.from(nonce);
const MARK_BYTES = MARK.length;
const SERIALIZED_MARK = Buffer.from(MARK);

/** Which of the places a translator may move without reading it keeps as bytes, besides the texts it always keeps. */
export interface KeptTextPlaces {
  /** function_call `arguments` moved as they are */
  functionArguments: boolean;
  /** image URLs moved as they are */
  imageUrls: boolean;
  /** custom tool call `input` moved as it is (the messages-translator's `tool_use.input`; not the chat-translator, which serializes it into arguments) */
  customToolInputs?: boolean;
  /**
   * reasoning items' `encrypted_content` kept out of the text to parse, read only through `original`: a long
   * session's blobs are most of what is left to parse once texts are kept, and a translator opens few of them
   */
  encryptedContent?: boolean;
  /**
   * the top-level `tools` array kept out of the parse, read only through `original` (parsed then): a translator
   * that converts the same bytes once (`toolsBytes`) parses them once
   */
  tools?: boolean;
}

export interface KeptBody {
  /** The request body, parsed, with its kept texts replaced by markers. */
  json: unknown;
  /**
   * The serialized upstream body with the original bytes put back; undefined if a marker was not moved whole. The
   * bytes are written into `room(size)` when given (a buffer the caller reuses), else into a buffer of their own.
   */
  restore(serialized: string, room?: (size: number) => Buffer): Buffer | undefined;
  /**
   * A marker for a text the translator adds that it already has as bytes (`content`: JSON string content, escaped,
   * without quotes; UTF-8), put back by `restore` like a kept text: a translator's own carried reasoning, say.
   */
  keep(content: Buffer): string;
  /**
   * The string a marker of this body stands for (a kept `encrypted_content`, say), or the array for kept `tools`
   * (parsed: a `SyntaxError` if the body's tools are not valid JSON); any other value as it is.
   */
  original(value: unknown): unknown;
  /**
   * The request's top-level `tools` array as sent (checked by the parse like the rest), when there is one: Codex
   * sends the same one on every turn, so a translator can convert it once per distinct array.
   */
  readonly toolsBytes: Buffer | undefined;
  /**
   * A marker for a whole JSON value the translator already has serialized (`json`: UTF-8), put back by `restore` in
   * place of the marker string, quotes included: a translator's converted tools, say.
   */
  keepJson(json: Buffer): string;
  /** The string a translator made from this body's values (markers in it, joined or not), with its texts put back. */
  text(value: string): string;
  /** Where the `input` array and each of its items end in the body (see `Scanned.input`). */
  readonly input: InputItems | undefined;
}

/**
 * The body parsed with its texts replaced by markers: `instructions`, a string `input`, and in `input` items the
 * `content` and `output` texts and text parts and reasoning summary texts, and at `places` call arguments and image
 * URLs. Undefined when there is nothing to keep or anything is unexpected (then parse the body). Equal assistant
 * message texts get equal markers (translators drop repeats); no kept text is blank. `knownTools`: see `scanKeptTexts`.
 */
export function keepTexts(body: Buffer, places: KeptTextPlaces, minBodyBytes = KEEP_MIN_BODY_BYTES, knownTools?: readonly Buffer[]): KeptBody | undefined {
  if (body.length < minBodyBytes || !isUtf8(body)) return undefined;
  const scanned = scanKeptTexts(body, places, KEEP_MIN_STRING_BYTES, knownTools);
  if (!scanned || scanned.count === 0) return undefined;
  const ids = markerIds(body, scanned);
  const reduced = reducedText(body, scanned, ids);
  let json: unknown;
  try {
    // ASCII (the usual case once texts are kept): decoded and parsed as one-byte text.
    json = JSON.parse(reduced.toString(isAscii(reduced) ? 'latin1' : 'utf8'));
  } catch {
    return undefined;
  }
  const added: Added[] = [];
  const put = (serialized: string, room?: (size: number) => Buffer) => restore(serialized, body, scanned.ranges, added, room);
  return {
    json,
    restore: put,
    keep: (content) => `\u0001${nonce}:${scanned.count + added.push({ bytes: content, value: false }) - 1}\u0001`,
    original: (value) => originalOf(value, body, scanned),
    toolsBytes: scanned.tools ? body.subarray(scanned.tools[0], scanned.tools[1]) : undefined,
    keepJson: (json) => `\u0001${nonce}:${scanned.count + added.push({ bytes: json, value: true }) - 1}\u0001`,
    text: (value) => {
      if (!value.includes(MARKER_START)) return value;
      const bytes = put(JSON.stringify(value));
      if (!bytes) throw new Error('a kept text was not whole in a translated string');
      return JSON.parse(bytes.toString('utf8')) as string;
    },
    input: scanned.input,
  };
}

const MARKER_START = `\u0001${nonce}:`;

/** Bytes a translator added: string content (`keep`), or a whole JSON value that replaces its marker's quotes too. */
interface Added {
  bytes: Buffer;
  value: boolean;
}

function originalOf(value: unknown, body: Buffer, { ranges, count }: Scanned): unknown {
  if (typeof value !== 'string' || !value.startsWith(MARKER_START) || !value.endsWith('\u0001')) return value;
  const id = Number(value.slice(MARKER_START.length, -1));
  if (!Number.isInteger(id) || id < 0 || id >= count) return value;
  const start = ranges[id * 3]!;
  const end = ranges[id * 3 + 1]!;
  if (ranges[id * 3 + 2] === KEPT_TOOLS) return JSON.parse(body.toString('utf8', start, end)) as unknown;
  // A blob has no escapes: its bytes are its text (checked as JSON.parse checks them when it was kept).
  const text = body.toString('utf8', start + 1, end - 1);
  return text.includes('\\') ? (JSON.parse(body.toString('utf8', start, end)) as string) : text;
}

/** Each kept string's marker: its own index, or for an assistant text the index of the first equal one. */
function markerIds(body: Buffer, { ranges, count }: Scanned): Int32Array {
  const ids = new Int32Array(count);
  let equal: ContentIds | undefined;
  for (let r = 0; r < count; r++) {
    if (ranges[r * 3 + 2] !== KEPT_ASSISTANT) ids[r] = r;
    else ids[r] = (equal ??= new ContentIds(body, ranges)).of(r);
  }
  return ids;
}

/** The body with each kept string replaced by its marker. */
function reducedText(body: Buffer, { ranges, count }: Scanned, ids: Int32Array): Buffer {
  let size = body.length;
  for (let r = 0; r < count; r++) size += OPEN.length + digits(ids[r]!) + CLOSE.length - (ranges[r * 3 + 1]! - ranges[r * 3]!);
  const out = scratchOf(size);
  let at = 0;
  let from = 0;
  for (let r = 0; r < count; r++) {
    at += copyInto(body, from, ranges[r * 3]!, out, at);
    at += copyInto(OPEN, 0, OPEN.length, out, at);
    let id = ids[r]!;
    const length = digits(id);
    for (let k = length - 1; k >= 0; k--, id = Math.floor(id / 10)) out[at + k] = 0x30 + (id % 10);
    at += length;
    at += copyInto(CLOSE, 0, CLOSE.length, out, at);
    from = ranges[r * 3 + 1]!;
  }
  copyInto(body, from, body.length, out, at);
  return out;
}

/**
 * One buffer reused for the text to parse and the serialized body's bytes, both read and dropped within one call: a
 * fresh buffer each time is external memory V8 counts towards its next full collection. Texts larger than the cap
 * get a buffer of their own, so that no request leaves a large buffer held.
 */
const SCRATCH_MAX = 4 * 1024 * 1024;
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

function scratchOf(size: number): Buffer {
  if (size > SCRATCH_MAX) return Buffer.allocUnsafe(size);
  if (size > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(size, scratch.length * 2)));
  return scratch.subarray(0, size);
}

const digits = (n: number) => (n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : String(n).length);

/** Texts of one length compared byte for byte; past this many, they are told apart by digest. */
const FEW_OF_A_LENGTH = 8;

/**
 * Numbers distinct texts, equal texts alike, in time linear in their bytes. Texts of different lengths never match,
 * so most are numbered by their length alone; the few of one length are compared byte for byte; many of one length
 * (3,000 near-identical texts took 1.4 s when each was compared with all before it) go by a digest, which is only
 * computed for them. Only assistant texts are numbered so: no translator compares other texts.
 */
class ContentIds {
  readonly #byLength = new Map<number, { ids: number[]; byDigest?: Map<string, number[]> }>();

  constructor(
    private readonly body: Buffer,
    private readonly ranges: Int32Array,
  ) {}

  of(r: number): number {
    const length = this.#end(r) - this.#start(r);
    const same = this.#byLength.get(length);
    if (!same) {
      this.#byLength.set(length, { ids: [r] });
      return r;
    }
    if (!same.byDigest && same.ids.length < FEW_OF_A_LENGTH) {
      const found = same.ids.find((id) => this.#equal(id, r));
      if (found !== undefined) return found;
      same.ids.push(r);
      return r;
    }
    if (!same.byDigest) {
      same.byDigest = new Map();
      for (const id of same.ids) bucket(same.byDigest, this.#digest(id)).push(id);
    }
    const candidates = bucket(same.byDigest, this.#digest(r));
    // A digest match is checked: equal markers must mean equal bytes.
    const found = candidates.find((id) => this.#equal(id, r));
    if (found !== undefined) return found;
    candidates.push(r);
    return r;
  }

  #start = (r: number) => this.ranges[r * 3]! + 1;
  #end = (r: number) => this.ranges[r * 3 + 1]! - 1;
  #equal = (a: number, b: number) => this.body.compare(this.body, this.#start(a), this.#end(a), this.#start(b), this.#end(b)) === 0;
  #digest = (r: number) => createHash('sha256').update(this.body.subarray(this.#start(r), this.#end(r))).digest('base64');
}

function bucket(map: Map<string, number[]>, key: string): number[] {
  let ids = map.get(key);
  if (!ids) map.set(key, (ids = []));
  return ids;
}

/**
 * The serialized body, encoded once, with every marker replaced by its string's bytes (quotes excluded: a marker may
 * have been joined with other text). Undefined if a marker did not arrive whole and escaped once.
 */
function restore(serialized: string, body: Buffer, ranges: Int32Array, added: readonly Added[], room: (size: number) => Buffer = Buffer.allocUnsafe): Buffer | undefined {
  // Encoded once, into the scratch buffer when it fits (UTF-8 takes at most three bytes per UTF-16 unit).
  const text = serialized.length * 3 <= SCRATCH_MAX ? encodeInto(serialized) : Buffer.from(serialized);
  const count = ranges.length / 3;
  // Found markers: [start of its \u0001, end of its closing \u0001, id] each.
  const found: number[] = [];
  let size = text.length;
  let at = 0;
  for (;;) {
    const hit = text.indexOf(SERIALIZED_NONCE, at);
    if (hit === -1) break;
    const open = hit - MARK_BYTES;
    if (open < 0 || !markAt(text, open) || escapedAt(text, open)) return undefined;
    let i = hit + SERIALIZED_NONCE.length;
    if (text[i] !== 0x3a) return undefined;
    i += 1;
    let id = 0;
    const first = i;
    while (i < text.length && text[i]! >= 0x30 && text[i]! <= 0x39 && i - first < 9) id = id * 10 + text[i++]! - 0x30;
    if (i === first || id >= count + added.length || !markAt(text, i)) return undefined;
    let start = open;
    let close = i + MARK_BYTES;
    if (id >= count ? added[id - count]!.value : ranges[id * 3 + 2] === KEPT_TOOLS) {
      // A whole value: its marker must be a whole string, whose quotes go with it.
      if (text[open - 1] !== QUOTE || escapedAt(text, open - 1) || text[close] !== QUOTE) return undefined;
      start -= 1;
      close += 1;
    }
    found.push(start, close, id);
    size += (id < count ? ranges[id * 3 + 1]! - ranges[id * 3]! - (ranges[id * 3 + 2] === KEPT_TOOLS ? 0 : 2) : added[id - count]!.bytes.length) - (close - start);
    at = close;
  }
  const out = room(size);
  if (found.length === 0) {
    copyInto(text, 0, text.length, out, 0);
    return out;
  }
  let to = 0;
  let from = 0;
  for (let k = 0; k < found.length; k += 3) {
    to += copyInto(text, from, found[k]!, out, to);
    const id = found[k + 2]!;
    if (id < count && ranges[id * 3 + 2] === KEPT_TOOLS) to += copyInto(body, ranges[id * 3]!, ranges[id * 3 + 1]!, out, to);
    else if (id < count) to += copyInto(body, ranges[id * 3]! + 1, ranges[id * 3 + 1]! - 1, out, to);
    else to += copyInto(added[id - count]!.bytes, 0, added[id - count]!.bytes.length, out, to);
    from = found[k + 1]!;
  }
  copyInto(text, from, text.length, out, to);
  return out;
}

function markAt(text: Buffer, at: number): boolean {
  for (let k = 0; k < MARK_BYTES; k++) if (text[at + k] !== SERIALIZED_MARK[k]) return false;
  return true;
}

/**
 * Bytes `from`..`to` of `source` into `target` at `at`; returns how many. A plain view and `set` cost about 70 ns a
 * piece where `Buffer#copy` costs 120 (its checks, and a view made on its own); short pieces by hand.
 */
function copyInto(source: Buffer, from: number, to: number, target: Buffer, at: number): number {
  const length = to - from;
  if (length > 64) target.set(new Uint8Array(source.buffer, source.byteOffset + from, length), at);
  else for (let k = 0; k < length; k++) target[at + k] = source[from + k]!;
  return length;
}

function encodeInto(serialized: string): Buffer {
  const room = scratchOf(serialized.length * 3);
  return room.subarray(0, room.write(serialized, 0, 'utf8'));
}

/** A backslash preceded by an odd number of backslashes is itself escaped text, not an escape. */
function escapedAt(text: Buffer, at: number): boolean {
  let slashes = 0;
  while (text[at - 1 - slashes] === BACKSLASH) slashes += 1;
  return slashes % 2 === 1;
}
