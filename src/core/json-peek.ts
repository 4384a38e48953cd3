import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from '../json/bytes.js';

/**
 * Reads a few fields of a JSON body without parsing all of it. Codex sends 50 KB and larger bodies on every
 * request, and a plugin that only needs `model` or the type of the last `input` item should not pay for a full
 * `JSON.parse` (about 0.1 ms for 50 KB, milliseconds for a body with images). Values are located as byte ranges:
 * strings are skipped with `indexOf`, structure is walked byte by byte, and only the ranges asked for are decoded.
 *
 * The walk checks the structure it crosses (brackets, commas, colons, literals, terminated strings) and answers
 * `undefined` when it is not well-formed JSON; it does not check escapes inside strings it skips. A caller that
 * must reject every malformed body still calls `JSON.parse` (`Exchange.inbound.json()`).
 *
 * A whole buffer is walked once: what the walk found (its members, and the items of its members that are arrays)
 * is kept for as long as the buffer lives, so peek only at bytes that no longer change (an exchange's inbound body
 * never does; `inbound.json()` keeps its parse the same way).
 */

/** Below this size a whole `JSON.parse` is cheaper than a peek (measured: 1.3 µs against 4 µs for 200 bytes). */
export const PEEK_MIN_BYTES = 2048;

/** Where a JSON value lies in a buffer: `buf.subarray(start, end)` is its text. */
export interface JsonRange {
  readonly start: number;
  readonly end: number;
}

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';


class Malformed extends Error {}
const malformed = (): never => {
  throw new Malformed();
};

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(buf: Buffer, at: number, end: number): number {
  while (at < end && isSpace(buf[at]!)) at += 1;
  return at;
}

/** `at` is on the opening quote; returns the index after the closing one. */
function skipString(buf: Buffer, at: number, end: number): number {
  let from = at + 1;
  for (;;) {
    const quote = buf.indexOf(QUOTE, from);
    if (quote === -1 || quote >= end) return malformed();
    let slashes = 0;
    while (buf[quote - 1 - slashes] === BACKSLASH) slashes += 1;
    if (slashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Skips one value starting at `at` (no leading space); returns the index after it. */
function skipValue(buf: Buffer, at: number, end: number): number {
  const first = buf[at];
  if (first === QUOTE) return skipString(buf, at, end);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) return skipContainer(buf, at, end);
  let stop = at;
  while (stop < end) {
    const c = buf[stop]!;
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isSpace(c)) break;
    stop += 1;
  }
  if (!isLiteral(buf, at, stop)) malformed();
  return stop;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

/** `true`, `false`, `null` or a JSON number, checked on the bytes (no string is made). */
function isLiteral(buf: Buffer, at: number, stop: number): boolean {
  const first = buf[at];
  if (first === 0x74) return stop - at === 4 && buf.compare(TRUE, 0, 4, at, stop) === 0;
  if (first === 0x66) return stop - at === 5 && buf.compare(FALSE, 0, 5, at, stop) === 0;
  if (first === 0x6e) return stop - at === 4 && buf.compare(NULL, 0, 4, at, stop) === 0;
  let i = at;
  if (buf[i] === 0x2d) i += 1;
  if (buf[i] === 0x30) i += 1;
  else if (isDigit(buf[i])) while (i < stop && isDigit(buf[i])) i += 1;
  else return false;
  if (buf[i] === 0x2e && i < stop) {
    i += 1;
    if (!isDigit(buf[i]) || i >= stop) return false;
    while (i < stop && isDigit(buf[i])) i += 1;
  }
  if ((buf[i] === 0x65 || buf[i] === 0x45) && i < stop) {
    i += 1;
    if ((buf[i] === 0x2b || buf[i] === 0x2d) && i < stop) i += 1;
    if (!isDigit(buf[i]) || i >= stop) return false;
    while (i < stop && isDigit(buf[i])) i += 1;
  }
  return i === stop;
}

/** Walks an object or array with its members; the same checks as `members`/`items`, without keeping ranges. */
function skipContainer(buf: Buffer, at: number, end: number): number {
  return buf[at] === OPEN_OBJECT ? walkObject(buf, at, end, undefined) : walkArray(buf, at, end, undefined);
}

function walkObject(buf: Buffer, at: number, end: number, found: Map<string, JsonRange> | undefined, arrays?: Map<number, ListedArray>): number {
  let i = skipSpace(buf, at + 1, end);
  if (buf[i] === CLOSE_OBJECT) return i + 1;
  for (;;) {
    if (buf[i] !== QUOTE) malformed();
    const keyEnd = skipString(buf, i, end);
    const key = found ? decodeString(buf, i, keyEnd) : '';
    i = skipSpace(buf, keyEnd, end);
    if (buf[i] !== COLON) malformed();
    i = skipSpace(buf, i + 1, end);
    let valueEnd: number;
    if (arrays && buf[i] === OPEN_ARRAY) {
      const items: JsonRange[] = [];
      valueEnd = walkArray(buf, i, end, items);
      arrays.set(i, { end: valueEnd, items });
    } else valueEnd = skipValue(buf, i, end);
    // Like JSON.parse, the last of duplicate keys wins.
    found?.set(key, { start: i, end: valueEnd });
    i = skipSpace(buf, valueEnd, end);
    if (buf[i] === CLOSE_OBJECT) return i + 1;
    if (buf[i] !== COMMA) malformed();
    i = skipSpace(buf, i + 1, end);
  }
}

function walkArray(buf: Buffer, at: number, end: number, found: JsonRange[] | undefined): number {
  let i = skipSpace(buf, at + 1, end);
  if (buf[i] === CLOSE_ARRAY) return i + 1;
  for (;;) {
    if (i >= end) malformed();
    const valueEnd = skipValue(buf, i, end);
    found?.push({ start: i, end: valueEnd });
    i = skipSpace(buf, valueEnd, end);
    if (buf[i] === CLOSE_ARRAY) return i + 1;
    if (buf[i] !== COMMA) malformed();
    i = skipSpace(buf, i + 1, end);
  }
}

/** Longest string (quotes included) decoded byte by byte; longer ones, and any with an escape or non-ASCII, by `toString`. */
const SHORT_STRING = 34;

function decodeString(buf: Buffer, start: number, end: number): string {
  // Keys and enum values are short ASCII: building them here is cheaper than a call into Buffer#toString.
  if (end - start <= SHORT_STRING) {
    let text = '';
    let i = start + 1;
    for (; i < end - 1; i += 1) {
      const c = buf[i]!;
      if (c >= 0x80 || c === BACKSLASH) break;
      text += String.fromCharCode(c);
    }
    if (i === end - 1) return text;
  }
  const raw = buf.toString('utf8', start, end);
  return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

/** Trims surrounding space; the whole buffer when no range is given. */
function bounds(buf: Buffer, range: JsonRange | undefined): { start: number; end: number } {
  let start = range?.start ?? 0;
  let end = range?.end ?? buf.length;
  start = skipSpace(buf, start, end);
  while (end > start && isSpace(buf[end - 1]!)) end -= 1;
  return { start, end };
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    // RangeError: nesting deeper than the stack; the caller falls back to JSON.parse.
    if (err instanceof Malformed || err instanceof SyntaxError || err instanceof RangeError) return undefined;
    throw err;
  }
}

/**
 * What a whole-buffer walk found, for as long as the buffer lives: a Codex request is peeked at by several plugins
 * and by the kernel's log line (at its end, many event-loop turns later), and the header injector then lists the
 * `input` items. Kept per buffer, one walk per body instead of three (about 0.5 ms each for a 1 MB history); a
 * WeakMap entry costs about 2 µs of garbage-collection work.
 */
interface Walk {
  members: Map<string, JsonRange> | undefined;
  /** The items of each member that is an array, by the offset it starts at. */
  arrays: Map<number, ListedArray>;
}
interface ListedArray {
  end: number;
  items: JsonRange[];
}
const walks = new WeakMap<Buffer, Walk>();

/**
 * The members of a JSON object (the whole buffer, or `range`) as ranges of their values; undefined if it is not a
 * well-formed object. A whole buffer is walked once (see `Walk`).
 */
export function jsonMembers(buf: Buffer, range?: JsonRange): ReadonlyMap<string, JsonRange> | undefined {
  if (!range) {
    const kept = walks.get(buf);
    if (kept) return kept.members;
  }
  const { start, end } = bounds(buf, range);
  const arrays = new Map<number, ListedArray>();
  const members =
    buf[start] !== OPEN_OBJECT
      ? undefined
      : attempt(() => {
          const found = new Map<string, JsonRange>();
          if (walkObject(buf, start, end, found, range ? undefined : arrays) !== end) malformed();
          return found;
        });
  if (!range) walks.set(buf, { members, arrays: members ? arrays : new Map() });
  return members;
}

/** The items of a JSON array as ranges; undefined if it is not one. */
export function jsonItems(buf: Buffer, range?: JsonRange): JsonRange[] | undefined {
  // A top-level member of a buffer already walked: its items were listed on the way (a copy: callers own the array).
  const kept = range && walks.get(buf)?.arrays.get(range.start);
  if (kept && range.end === kept.end) return kept.items.slice();
  const { start, end } = bounds(buf, range);
  if (buf[start] !== OPEN_ARRAY) return undefined;
  return attempt(() => {
    const found: JsonRange[] = [];
    if (walkArray(buf, start, end, found) !== end) malformed();
    return found;
  });
}

/** What kind of value a range holds, from its first byte. */
export function jsonKind(buf: Buffer, range: JsonRange): JsonKind {
  const first = buf[range.start];
  if (first === OPEN_OBJECT) return 'object';
  if (first === OPEN_ARRAY) return 'array';
  if (first === QUOTE) return 'string';
  if (first === 0x74 || first === 0x66) return 'boolean';
  if (first === 0x6e) return 'null';
  return 'number';
}

/** The value in a range, parsed (use it for the small values you need, not for the body). */
export function jsonValue(buf: Buffer, range: JsonRange): unknown {
  return JSON.parse(buf.toString('utf8', range.start, range.end));
}

/** The string in a range, or undefined when the range holds another kind of value (or a string with a bad escape). */
export function jsonString(buf: Buffer, range: JsonRange | undefined): string | undefined {
  if (!range || buf[range.start] !== QUOTE) return undefined;
  return attempt(() => decodeString(buf, range.start, range.end));
}
