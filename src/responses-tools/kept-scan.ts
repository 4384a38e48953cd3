import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from '../json/bytes.js';

/**
 * The one pass over a Responses request's bytes that finds the texts `keepTexts` keeps. A long session is about
 * 8,700 strings in a megabyte: this walks them once, knowing only the places of the Responses shape where a
 * translator moves texts (the instructions; in `input` items, `content` and `output` texts, text parts, reasoning
 * summaries, call arguments and image URLs), checks the strings it keeps as `JSON.parse` would check them, and
 * records their ranges in one growing array: no object, string or map is made per string.
 *
 * Everything it leaves in place is parsed by `JSON.parse` afterwards, so it checks only what it keeps; it must split
 * strings exactly as JSON does (a kept range is always one whole string token, so the text with markers in their
 * place is valid JSON exactly when the body is). Anything it does not expect ends the scan (`undefined`).
 */


/** Kinds of kept range. */
export const KEPT_TEXT = 1;
/** An assistant message's text: the translators compare these to drop repeats, so equal texts need equal markers. */
export const KEPT_ASSISTANT = 2;
const KEPT_ARGUMENTS = 3;
const KEPT_IMAGE = 4;
/** Part texts in an item's `content`: an assistant's, once its role is known. */
const KEPT_CONTENT = 5;
/** Reasoning summary texts (no translator reads them; kept so that they need not be parsed). */
const KEPT_SUMMARY = 6;
const KEPT_INPUT = 7;
/** A reasoning item's `encrypted_content`: a translator reads it through `KeptBody.original`, never moves it. */
const KEPT_BLOB = 8;
/** The top-level `tools` array, whole (its range is the array's, not a string's): read only through `KeptBody.original`. */
export const KEPT_TOOLS = 9;

export interface ScanPlaces {
  functionArguments: boolean;
  imageUrls: boolean;
  customToolInputs?: boolean;
  encryptedContent?: boolean;
  tools?: boolean;
}

/** Kept strings, in body order: `[start, end, kind]` per string, `start`/`end` around its quotes. */
export interface Scanned {
  ranges: Int32Array;
  count: number;
  /** The top-level `tools` array's bytes, `[start, end)`: the same on every turn of a session. */
  tools: [number, number] | undefined;
  /**
   * Where the `input` array's items end: its `[` and, per item, the index after the item's last byte. Undefined
   * unless the body has one `input` key, an array: a history is only remembered by items JSON.parse reads.
   */
  input: InputItems | undefined;
}

export interface InputItems {
  open: number;
  ends: readonly number[];
}

const KEY_TYPE = Buffer.from('type');
const KEY_ROLE = Buffer.from('role');
const KEY_CONTENT = Buffer.from('content');
const KEY_OUTPUT = Buffer.from('output');
const KEY_ARGUMENTS = Buffer.from('arguments');
const KEY_SUMMARY = Buffer.from('summary');
const KEY_TEXT = Buffer.from('text');
const KEY_IMAGE_URL = Buffer.from('image_url');
const KEY_URL = Buffer.from('url');
const KEY_INSTRUCTIONS = Buffer.from('instructions');
const KEY_INPUT = Buffer.from('input');
const KEY_ENCRYPTED_CONTENT = Buffer.from('encrypted_content');
const KEY_TOOLS = Buffer.from('tools');

const TYPE_OTHER = 0;
const TYPE_FUNCTION_CALL = 1;
const TYPE_TEXT_PART = 2;
const TYPE_IMAGE_PART = 3;
const TYPE_SUMMARY_TEXT = 4;
const TYPE_MESSAGE = 5;
const TYPE_CUSTOM_TOOL_CALL = 6;
const TYPE_REASONING = 7;
const TYPES: [Buffer, number][] = [
  [Buffer.from('function_call'), TYPE_FUNCTION_CALL],
  [Buffer.from('custom_tool_call'), TYPE_CUSTOM_TOOL_CALL],
  [Buffer.from('reasoning'), TYPE_REASONING],
  [Buffer.from('input_text'), TYPE_TEXT_PART],
  [Buffer.from('output_text'), TYPE_TEXT_PART],
  [Buffer.from('text'), TYPE_TEXT_PART],
  [Buffer.from('input_image'), TYPE_IMAGE_PART],
  [Buffer.from('image_url'), TYPE_IMAGE_PART],
  [Buffer.from('summary_text'), TYPE_SUMMARY_TEXT],
  [Buffer.from('message'), TYPE_MESSAGE],
];
const ROLES: [Buffer, boolean][] = [[Buffer.from('assistant'), true]];

/** Thrown to end the scan at anything unexpected; the caller parses the body instead. */
class Unexpected extends Error {}
const unexpected = new Unexpected();

/** Module-wide so a scan allocates nothing per string; a scan runs to its end synchronously. */
let scratch = new Int32Array(3 * 1024);

class Scanner {
  i = 0;
  keyStart = 0;
  count = 0;
  tools: [number, number] | undefined;
  inputKeys = 0;
  inputOpen = -1;
  itemEnds: number[] = [];
  /**
   * Set when an assistant message has more than one text part (its joined text could equal another's) or a text
   * escaped otherwise than JSON.stringify escapes (it could equal a text sent in other bytes): then equal bytes no
   * longer mean equal texts, and no assistant text is kept.
   */
  assistantsUnsure = false;
  /** The current item's `content` has a text escaped otherwise than JSON.stringify escapes. */
  contentNotCanonical = false;
  readonly n: number;
  readonly wordBase: number;
  readonly words: Uint32Array;

  constructor(
    readonly b: Buffer,
    readonly places: ScanPlaces,
    readonly minBytes: number,
    readonly known: readonly Buffer[] = [],
  ) {
    this.n = b.length;
    // One aligned view for the whole body, for the four-bytes-at-a-time check.
    const misalign = (4 - (b.byteOffset & 3)) & 3;
    const words = b.length > misalign ? (b.length - misalign) >> 2 : 0;
    this.wordBase = misalign;
    this.words = new Uint32Array(b.buffer, words ? b.byteOffset + misalign : 0, words);
  }

  space(): void {
    const b = this.b;
    let i = this.i;
    for (;;) {
      const c = b[i];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i += 1;
      else break;
    }
    this.i = i;
  }

  /** The index of the closing quote of the string opening at `at`. */
  stringEnd(at: number): number {
    const b = this.b;
    let j = at + 1;
    // Keys, types and ids are short: a byte loop beats a call into indexOf.
    const short = Math.min(this.n, j + 48);
    for (; j < short; j++) {
      const c = b[j]!;
      if (c === QUOTE) return j;
      if (c === BACKSLASH) j += 1;
    }
    if (j > this.n) throw unexpected;
    for (;;) {
      const q = b.indexOf(QUOTE, j);
      if (q === -1) throw unexpected;
      let slashes = 0;
      while (b[q - 1 - slashes] === BACKSLASH) slashes += 1;
      if ((slashes & 1) === 0) return q;
      j = q + 1;
    }
  }

  /** Reads the key at `i` (on its quote) and moves past its colon; returns its length in bytes. */
  key(): number {
    const b = this.b;
    if (b[this.i] !== QUOTE) throw unexpected;
    const start = this.i + 1;
    const end = this.stringEnd(this.i);
    this.keyStart = start;
    this.i = end + 1;
    this.space();
    if (b[this.i] !== COLON) throw unexpected;
    this.i += 1;
    this.space();
    return end - start;
  }

  /** The key just read, `length` bytes long, is `name` (as sent: an escaped key is never a place texts are kept). */
  is(length: number, name: Buffer): boolean {
    if (length !== name.length) return false;
    const start = this.keyStart;
    const b = this.b;
    for (let k = 0; k < length; k++) if (b[start + k] !== name[k]) return false;
    return true;
  }

  /** After a member: true when the object or array goes on (a comma), false at its close. */
  next(close: number): boolean {
    this.space();
    const c = this.b[this.i];
    this.i += 1;
    if (c === COMMA) {
      this.space();
      return true;
    }
    if (c === close) return false;
    throw unexpected;
  }

  /** Opens an object or array at `i`; false when it is empty (and already closed). */
  open(close: number): boolean {
    this.i += 1;
    this.space();
    if (this.b[this.i] === close) {
      this.i += 1;
      return false;
    }
    return true;
  }

  /**
   * The length of the one of `known` whose bytes the value at `at` is, or 0: a whole array an earlier request sent
   * (equal bytes are the same balanced value), passed over with one comparison instead of a walk.
   */
  knownAt(at: number): number {
    for (const bytes of this.known) {
      const end = at + bytes.length;
      if (bytes[0] === OPEN_ARRAY && end <= this.n && this.b.compare(bytes, 0, bytes.length, at, end) === 0) return bytes.length;
    }
    return 0;
  }

  /** Skips any value; JSON.parse checks it later. */
  skip(): void {
    const b = this.b;
    const c = b[this.i];
    if (c === QUOTE) {
      this.i = this.stringEnd(this.i) + 1;
      return;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      let depth = 0;
      let i = this.i;
      for (;;) {
        const d = b[i];
        if (d === undefined) throw unexpected;
        if (d === QUOTE) i = this.stringEnd(i) + 1;
        else {
          i += 1;
          if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth += 1;
          else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) break;
        }
      }
      this.i = i;
      return;
    }
    let i = this.i;
    for (;;) {
      const d = b[i];
      if (d === undefined || d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
      i += 1;
    }
    if (i === this.i) throw unexpected;
    this.i = i;
  }

  /** The type (or role) string at `i`, as one of the TYPE_ codes; moves past it. */
  typeValue(): number {
    return this.nameValue(TYPES, TYPE_OTHER);
  }

  isAssistant(): boolean {
    return this.nameValue(ROLES, false);
  }

  /** Reads the value at `i`: the code of the name it spells, as sent, or `other` for anything else. */
  nameValue<T>(names: readonly (readonly [Buffer, T])[], other: T): T {
    const b = this.b;
    if (b[this.i] !== QUOTE) {
      this.skip();
      return other;
    }
    const start = this.i + 1;
    const end = this.stringEnd(this.i);
    this.i = end + 1;
    const length = end - start;
    for (const [name, code] of names) {
      if (name.length !== length) continue;
      let k = 0;
      while (k < length && b[start + k] === name[k]) k += 1;
      if (k === length) return code;
    }
    return other;
  }

  /** A string that may be kept as `kind`; anything else is skipped. Returns whether the value was a string. */
  text(kind: number): boolean {
    const b = this.b;
    const start = this.i;
    if (b[start] !== QUOTE) {
      this.skip();
      return false;
    }
    const check = this.check(start + 1);
    const end = this.i - 1;
    if (check === VALID && kind === KEPT_CONTENT) this.contentNotCanonical = true;
    if (check === INVALID || end - start - 1 < this.minBytes || !notBlank(b, start + 1, end)) return true;
    this.record(start, end + 1, kind);
    return true;
  }

  record(start: number, end: number, kind: number): void {
    if (this.count * 3 + 3 > scratch.length) {
      const grown = new Int32Array(scratch.length * 2);
      grown.set(scratch);
      scratch = grown;
    }
    const at = this.count * 3;
    scratch[at] = start;
    scratch[at + 1] = end;
    scratch[at + 2] = kind;
    this.count += 1;
  }

  /**
   * Reads a string's content from `from` (after its opening quote) to its closing quote, checking it as JSON.parse
   * would; leaves `i` after the closing quote. Answers INVALID (then `i` is past the string, found as `stringEnd`
   * finds it), VALID, or CANONICAL (escaped exactly as JSON.stringify escapes).
   */
  check(from: number): number {
    const b = this.b;
    const words = this.words;
    const base = this.wordBase;
    const n = this.n;
    let result = CANONICAL;
    let i = from;
    for (;;) {
      if (((i - base) & 3) === 0) {
        // Four bytes at a time while none is a control character, a backslash or a quote ("has a byte below n").
        let w = (i - base) >> 2;
        const wordsEnd = words.length;
        while (w < wordsEnd) {
          const x = words[w]!;
          const y = x ^ 0x5c5c5c5c;
          const z = x ^ 0x22222222;
          if (((((x - 0x20202020) & ~x) | ((y - 0x01010101) & ~y) | ((z - 0x01010101) & ~z)) & 0x80808080) !== 0) break;
          w += 1;
        }
        i = base + (w << 2);
      }
      if (i >= n) throw unexpected;
      const c = b[i]!;
      if (c === QUOTE) {
        this.i = i + 1;
        return result;
      }
      if (c < 0x20) result = INVALID;
      if (c !== BACKSLASH) {
        i += 1;
        continue;
      }
      const e = b[i + 1];
      if (e === 0x75) {
        if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) {
          result = INVALID;
          i += 2;
          continue;
        }
        // JSON.stringify escapes only control characters (lowercase hex) that have no short escape.
        if (result === CANONICAL && !canonicalControl(b, i + 2)) result = VALID;
        i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
      else if (e === 0x2f) {
        if (result === CANONICAL) result = VALID;
        i += 2;
      } else {
        result = INVALID;
        i += 2;
      }
    }
  }

  top(): void {
    const b = this.b;
    this.space();
    if (b[this.i] !== OPEN_OBJECT) throw unexpected;
    if (!this.open(CLOSE_OBJECT)) return;
    do {
      const length = this.key();
      if (this.is(length, KEY_INSTRUCTIONS)) this.text(KEPT_TEXT);
      else if (this.is(length, KEY_INPUT)) {
        this.inputKeys += 1;
        if (b[this.i] === OPEN_ARRAY) {
          this.inputOpen = this.i;
          this.items();
        } else this.text(KEPT_TEXT);
      } else if (this.is(length, KEY_TOOLS)) {
        // Of repeated keys JSON.parse keeps the last: so does this.
        const start = this.i;
        const known = this.knownAt(start);
        if (known) this.i = start + known;
        else this.skip();
        this.tools = b[start] === OPEN_ARRAY ? [start, this.i] : undefined;
        if (this.tools && this.places.tools) this.record(start, this.i, KEPT_TOOLS);
      } else this.skip();
    } while (this.next(CLOSE_OBJECT));
    this.space();
    if (this.i !== this.n) throw unexpected;
  }

  items(): void {
    if (!this.open(CLOSE_ARRAY)) return;
    do {
      if (this.b[this.i] === OPEN_OBJECT) this.item();
      else this.skip();
      this.itemEnds.push(this.i);
    } while (this.next(CLOSE_ARRAY));
  }

  item(): void {
    const b = this.b;
    const first = this.count;
    let type = TYPE_OTHER;
    let assistant = false;
    let textParts = 0;
    this.contentNotCanonical = false;
    if (this.open(CLOSE_OBJECT)) {
      do {
        const length = this.key();
        if (length === 4 && this.is(length, KEY_TYPE)) type = this.typeValue();
        else if (length === 4 && this.is(length, KEY_ROLE)) assistant = this.isAssistant();
        else if (length === 7 && this.is(length, KEY_CONTENT)) {
          if (b[this.i] === OPEN_ARRAY) textParts += this.parts(KEPT_CONTENT);
          else if (this.text(KEPT_CONTENT)) textParts += 1;
        } else if (length === 6 && this.is(length, KEY_OUTPUT)) {
          if (b[this.i] === OPEN_ARRAY) this.parts(KEPT_TEXT);
          else this.text(KEPT_TEXT);
        } else if (length === 9 && this.places.functionArguments && this.is(length, KEY_ARGUMENTS)) this.text(KEPT_ARGUMENTS);
        else if (length === 5 && this.places.customToolInputs && this.is(length, KEY_INPUT)) this.text(KEPT_INPUT);
        else if (length === 17 && this.places.encryptedContent && this.is(length, KEY_ENCRYPTED_CONTENT)) this.text(KEPT_BLOB);
        else if (length === 7 && b[this.i] === OPEN_ARRAY && this.is(length, KEY_SUMMARY)) this.parts(KEPT_SUMMARY);
        else this.skip();
      } while (this.next(CLOSE_OBJECT));
    }
    if (assistant && (textParts > 1 || this.contentNotCanonical)) this.assistantsUnsure = true;
    if (this.count === first) return;
    // Decided at the item's end: its type and role may come after its texts (the last of duplicate keys wins).
    let kept = first;
    for (let r = first; r < this.count; r++) {
      const at = r * 3;
      let kind = scratch[at + 2]!;
      if (kind === KEPT_ARGUMENTS && type !== TYPE_FUNCTION_CALL) continue;
      if (kind === KEPT_INPUT && type !== TYPE_CUSTOM_TOOL_CALL) continue;
      if (kind === KEPT_BLOB && type !== TYPE_REASONING) continue;
      if (kind === KEPT_CONTENT) kind = assistant ? KEPT_ASSISTANT : KEPT_TEXT;
      const to = kept * 3;
      scratch[to] = scratch[at]!;
      scratch[to + 1] = scratch[at + 1]!;
      scratch[to + 2] = kind;
      kept += 1;
    }
    this.count = kept;
  }

  /** An array of content parts; returns how many are text parts whose text is a string (kept or not). */
  parts(kind: number): number {
    let texts = 0;
    if (!this.open(CLOSE_ARRAY)) return 0;
    do {
      if (this.b[this.i] === OPEN_OBJECT) texts += this.part(kind);
      else this.skip();
    } while (this.next(CLOSE_ARRAY));
    return texts;
  }

  part(kind: number): number {
    const b = this.b;
    const first = this.count;
    let type = TYPE_OTHER;
    let text = false;
    if (this.open(CLOSE_OBJECT)) {
      do {
        const length = this.key();
        if (length === 4 && this.is(length, KEY_TYPE)) type = this.typeValue();
        else if (length === 4 && this.is(length, KEY_TEXT)) text = this.text(kind);
        else if (length === 9 && this.places.imageUrls && this.is(length, KEY_IMAGE_URL)) {
          if (b[this.i] === OPEN_OBJECT) this.imageObject();
          else this.text(KEPT_IMAGE);
        } else this.skip();
      } while (this.next(CLOSE_OBJECT));
    }
    const textPart = type === TYPE_TEXT_PART || (kind === KEPT_SUMMARY && type === TYPE_SUMMARY_TEXT);
    let kept = first;
    for (let r = first; r < this.count; r++) {
      const at = r * 3;
      const image = scratch[at + 2] === KEPT_IMAGE;
      if (image ? type !== TYPE_IMAGE_PART : !textPart) continue;
      const to = kept * 3;
      scratch[to] = scratch[at]!;
      scratch[to + 1] = scratch[at + 1]!;
      scratch[to + 2] = image || kind === KEPT_SUMMARY ? KEPT_TEXT : scratch[at + 2]!;
      kept += 1;
    }
    this.count = kept;
    return type === TYPE_TEXT_PART && text ? 1 : 0;
  }

  imageObject(): void {
    if (!this.open(CLOSE_OBJECT)) return;
    do {
      const length = this.key();
      if (this.is(length, KEY_URL)) this.text(KEPT_IMAGE);
      else this.skip();
    } while (this.next(CLOSE_OBJECT));
  }
}

const INVALID = 0;
const VALID = 1;
const CANONICAL = 2;

const isHex = (c: number | undefined) => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

/** `\u00XX` as JSON.stringify writes it: a control character without a short escape, in lowercase hex. */
function canonicalControl(b: Buffer, at: number): boolean {
  if (b[at] !== 0x30 || b[at + 1] !== 0x30) return false;
  const high = b[at + 2];
  const low = b[at + 3]!;
  const lowValue = low >= 0x30 && low <= 0x39 ? low - 0x30 : low >= 0x61 && low <= 0x66 ? low - 0x57 : -1;
  if (lowValue < 0 || (high !== 0x30 && high !== 0x31)) return false;
  const value = (high - 0x30) * 16 + lowValue;
  return value !== 0x08 && value !== 0x09 && value !== 0x0a && value !== 0x0c && value !== 0x0d;
}

/**
 * Translators drop blank texts and a marker is never blank, so a kept text must not be blank (as `trim` sees it).
 * Conservative: it needs a printable ASCII character outside an escape, or a character that starts with a UTF-8
 * lead byte no whitespace character starts with.
 */
function notBlank(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === BACKSLASH) i += b[i + 1] === 0x75 ? 5 : 1;
    else if (c > 0x20 && c < 0x7f) return true;
    else if (c >= 0xc3 && c !== 0xe1 && c !== 0xe2 && c !== 0xe3 && c !== 0xef) return true;
  }
  return false;
}

/**
 * The strings of `body` to keep at least `minBytes` long, or undefined when the body is not the object expected
 * (then parse it). No assistant text is kept when equal bytes would not mean equal texts (see `assistantsUnsure`).
 * `knownTools`: `tools` arrays an earlier scan found (`Scanned.tools`' bytes: whole values, which JSON.parse read), which
 * the scan need not walk when one comes again.
 */
export function scanKeptTexts(body: Buffer, places: ScanPlaces, minBytes: number, knownTools?: readonly Buffer[]): Scanned | undefined {
  const scanner = new Scanner(body, places, minBytes, knownTools);
  try {
    scanner.top();
  } catch (err) {
    if (err === unexpected) return undefined;
    throw err;
  }
  let count = scanner.count;
  if (scanner.assistantsUnsure) {
    let kept = 0;
    for (let r = 0; r < count; r++) {
      if (scratch[r * 3 + 2] === KEPT_ASSISTANT) continue;
      scratch.copyWithin(kept * 3, r * 3, r * 3 + 3);
      kept += 1;
    }
    count = kept;
  }
  const input = scanner.inputKeys === 1 && scanner.inputOpen >= 0 ? { open: scanner.inputOpen, ends: scanner.itemEnds } : undefined;
  return { ranges: scratch.slice(0, count * 3), count, tools: scanner.tools, input };
}

/**
 * For tests: what JSON.parse would make of the string opening at `at` (a quote): 0 refused, 1 accepted, 2 accepted
 * and escaped as JSON.stringify escapes; and the index after its closing quote.
 */
export function checkString(body: Buffer, at: number): { check: number; end: number } {
  const scanner = new Scanner(body, { functionArguments: false, imageUrls: false }, 0);
  const check = scanner.check(at + 1);
  return { check, end: scanner.i };
}
