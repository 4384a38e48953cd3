import { createHash, randomBytes } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { jsonItems, jsonKind, jsonMembers, jsonString, type JsonRange } from '../core/json-peek.js';

/**
 * Large texts kept as bytes through translation. A pasted file, a long tool output or an image's data URL is moved
 * from one place to another by a translator, never read; decoding it, parsing it, serializing it again and
 * encoding it again costs about 4 ms per megabyte. Strings at the places the translator only moves are replaced by
 * short markers before parsing and their original bytes (already valid JSON string content) are put back into the
 * serialized Chat body. Anything unexpected answers `undefined`, and the caller translates the whole parsed body.
 */

/**
 * Bodies below this are parsed whole (the walk to find large texts would cost more than it saves). Codex's everyday
 * requests are above it: their 17 KB of instructions carry typographic non-ASCII characters, which make V8 parse,
 * serialize and encode the whole request as two-byte text; kept as bytes, translating a real 38 KB request takes
 * about 0.22 ms instead of 0.30–0.45 ms (docs/performance.md).
 */
export const KEEP_MIN_BODY_BYTES = 16 * 1024;
/**
 * Strings at least this long (in bytes, as sent) are kept as bytes. A long session's history is hundreds of tool
 * outputs and messages of one to a few KiB each: at 8 KiB almost none were kept, and the walk that finds them cost
 * more than it saved (a 1 MB Codex history translated in about 1.5× the time of a plain parse); at 1 KiB most of
 * its text stays bytes (docs/performance.md).
 */
export const KEEP_MIN_STRING_BYTES = 1024;

const TEXT_PARTS = new Set(['input_text', 'output_text', 'text']);
const IMAGE_PARTS = new Set(['input_image', 'image_url']);

// \u0001 is escaped by JSON.stringify: a marker that was serialized twice (inside another JSON string) no longer
// matches, and is caught by the nonce check instead of being filled with bytes escaped once.
const nonce = randomBytes(9).toString('base64url');
const SERIALIZED_MARK = '\\u0001';
const SERIALIZED_OPEN = `${SERIALIZED_MARK}${nonce}:`;

/** Which of the places a translator may move without reading it keeps as bytes, besides the texts it always keeps. */
export interface KeptTextPlaces {
  /** function_call `arguments` moved as they are */
  functionArguments: boolean;
  /** image URLs moved as they are */
  imageUrls: boolean;
  /** custom tool call `input` moved as it is (the messages-translator's `tool_use.input`; not the chat-translator, which serializes it into arguments) */
  customToolInputs?: boolean;
}

export interface KeptBody {
  /** The request body, parsed, with its kept texts replaced by markers. */
  json: unknown;
  /** The serialized upstream body with the original bytes put back; undefined if a marker was not moved whole. */
  restore(serialized: string): Buffer | undefined;
}

/**
 * The body parsed with its large texts at `places` (and at instructions, message, text-part and tool-output texts)
 * replaced by markers; undefined when there is nothing to keep or anything is unexpected (then parse the body).
 */
export function keepTexts(body: Buffer, places: KeptTextPlaces): KeptBody | undefined {
  if (body.length < KEEP_MIN_BODY_BYTES || !isUtf8(body)) return undefined;
  const members = jsonMembers(body);
  if (!members) return undefined;
  const ranges = movedStrings(body, members, places).filter((r) => r.end - r.start >= KEEP_MIN_STRING_BYTES && isPlainText(body, r));
  if (ranges.length === 0) return undefined;
  ranges.sort((a, b) => a.start - b.start);

  // Equal texts get one marker: the translator compares assistant texts to drop repeats.
  const ids = new ContentIds();
  let reduced = '';
  let at = 0;
  for (const range of ranges) {
    const id = ids.of(body.subarray(range.start + 1, range.end - 1));
    reduced += `${body.toString('utf8', at, range.start)}"${SERIALIZED_OPEN}${id}${SERIALIZED_MARK}"`;
    at = range.end;
  }
  reduced += body.toString('utf8', at);
  let json: unknown;
  try {
    json = JSON.parse(reduced);
  } catch {
    return undefined;
  }
  return { json, restore: (serialized) => restore(serialized, ids.contents) };
}

/** Texts of one length compared byte for byte; past this many, they are told apart by digest. */
const FEW_OF_A_LENGTH = 8;

/**
 * Numbers distinct texts, equal texts alike, in time linear in their bytes. Texts of different lengths never match,
 * so most are numbered by their length alone; the few of one length are compared byte for byte; many of one length
 * (3,000 near-identical texts took 1.4 s when each was compared with all before it) go by a digest, which is only
 * computed for them.
 */
class ContentIds {
  readonly contents: Buffer[] = [];
  readonly #byLength = new Map<number, { ids: number[]; byDigest?: Map<string, number[]> }>();

  of(content: Buffer): number {
    const same = this.#byLength.get(content.length);
    if (!same) {
      const id = this.#add(content);
      this.#byLength.set(content.length, { ids: [id] });
      return id;
    }
    if (!same.byDigest && same.ids.length < FEW_OF_A_LENGTH) {
      const found = same.ids.find((id) => this.contents[id]!.equals(content));
      if (found !== undefined) return found;
      const id = this.#add(content);
      same.ids.push(id);
      return id;
    }
    if (!same.byDigest) {
      same.byDigest = new Map();
      for (const id of same.ids) bucket(same.byDigest, digest(this.contents[id]!)).push(id);
    }
    const candidates = bucket(same.byDigest, digest(content));
    // A digest match is checked: equal markers must mean equal bytes.
    const found = candidates.find((id) => this.contents[id]!.equals(content));
    if (found !== undefined) return found;
    const id = this.#add(content);
    candidates.push(id);
    return id;
  }

  #add(content: Buffer): number {
    return this.contents.push(content) - 1;
  }
}

const digest = (content: Buffer) => createHash('sha256').update(content).digest('base64');

function bucket(map: Map<string, number[]>, key: string): number[] {
  let ids = map.get(key);
  if (!ids) map.set(key, (ids = []));
  return ids;
}

function restore(serialized: string, contents: Buffer[]): Buffer | undefined {
  const pieces: Buffer[] = [];
  let at = 0;
  for (;;) {
    const open = serialized.indexOf(SERIALIZED_OPEN, at);
    const text = serialized.slice(at, open === -1 ? undefined : open);
    if (text.includes(nonce)) return undefined;
    pieces.push(Buffer.from(text));
    if (open === -1) break;
    if (escapedAt(serialized, open)) return undefined;
    const digits = open + SERIALIZED_OPEN.length;
    const close = serialized.indexOf(SERIALIZED_MARK, digits);
    const content = close === -1 ? undefined : contents[Number(serialized.slice(digits, close))];
    if (!content || !/^\d+$/.test(serialized.slice(digits, close))) return undefined;
    pieces.push(content);
    at = close + SERIALIZED_MARK.length;
  }
  return Buffer.concat(pieces);
}

/** A backslash preceded by an odd number of backslashes is itself escaped text, not an escape. */
function escapedAt(text: string, at: number): boolean {
  let slashes = 0;
  while (text.charCodeAt(at - 1 - slashes) === 0x5c) slashes += 1;
  return slashes % 2 === 1;
}

/**
 * The strings a translator moves without reading (the chat-translator's messages.ts): instructions, message and
 * tool-output texts and their parts, and at `places` image URLs, call arguments and custom tool inputs. Never
 * `encrypted_content` (decoded) or names and ids (compared and mapped).
 */
function movedStrings(body: Buffer, members: ReadonlyMap<string, JsonRange>, places: KeptTextPlaces): JsonRange[] {
  const found: JsonRange[] = [];
  const string = (range: JsonRange | undefined) => {
    if (range && jsonKind(body, range) === 'string') found.push(range);
  };
  const parts = (range: JsonRange | undefined) => {
    if (!range || jsonKind(body, range) === 'string') return string(range);
    for (const part of jsonItems(body, range) ?? []) {
      const fields = jsonKind(body, part) === 'object' ? jsonMembers(body, part) : undefined;
      const type = jsonString(body, fields?.get('type'));
      if (!fields || type === undefined) continue;
      if (TEXT_PARTS.has(type)) string(fields.get('text'));
      if (places.imageUrls && IMAGE_PARTS.has(type)) {
        const image = fields.get('image_url');
        if (image && jsonKind(body, image) === 'object') string(jsonMembers(body, image)?.get('url'));
        else string(image);
      }
    }
  };
  string(members.get('instructions'));
  const input = members.get('input');
  if (!input) return found;
  if (jsonKind(body, input) === 'string') return [...found, input];
  for (const item of jsonItems(body, input) ?? []) {
    const fields = jsonKind(body, item) === 'object' ? jsonMembers(body, item) : undefined;
    if (!fields) continue;
    parts(fields.get('content'));
    parts(fields.get('output'));
    const type = places.functionArguments || places.customToolInputs ? jsonString(body, fields.get('type')) : undefined;
    if (places.functionArguments && type === 'function_call') string(fields.get('arguments'));
    if (places.customToolInputs && type === 'custom_tool_call') string(fields.get('input'));
  }
  return found;
}

/**
 * The translator drops blank texts and a marker is never blank, so a kept string must not be blank. Conservative:
 * it needs printable ASCII outside an escape, and a string of only non-ASCII text is parsed the usual way.
 */
function isPlainText(body: Buffer, range: JsonRange): boolean {
  const end = range.end - 1;
  let printable = false;
  for (let i = range.start + 1; i < end && !printable; i++) {
    const c = body[i]!;
    if (c === BACKSLASH) i += body[i + 1] === 0x75 ? 5 : 1;
    else printable = c > 0x20 && c < 0x7f;
  }
  return printable && isValidStringContent(body, range.start + 1, end);
}

const BACKSLASH = 0x5c;

/**
 * What JSON.parse would check in a string's bytes (`start`..`end`, without the quotes): no raw control character,
 * only known escapes. Four bytes at a time while none of them is a control character or a backslash (the usual
 * "has a byte below n" bit trick), byte by byte around escapes: twice as fast as a plain byte loop.
 */
export function isValidStringContent(buf: Buffer, start: number, end: number): boolean {
  const aligned = start + ((4 - ((buf.byteOffset + start) & 3)) & 3);
  const wordCount = aligned < end ? (end - aligned) >> 2 : 0;
  const words = new Uint32Array(buf.buffer, wordCount ? buf.byteOffset + aligned : 0, wordCount);
  const wordsEnd = aligned + wordCount * 4;
  let i = start;
  while (i < end) {
    if (i >= aligned && i < wordsEnd && ((i - aligned) & 3) === 0) {
      const x = words[(i - aligned) >> 2]!;
      const y = x ^ 0x5c5c5c5c;
      if (((((x - 0x20202020) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) === 0) {
        i += 4;
        continue;
      }
    }
    const c = buf[i]!;
    if (c < 0x20) return false;
    if (c !== BACKSLASH) i += 1;
    else if (buf[i + 1] === 0x75) {
      if (i + 6 > end || !isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) return false;
      i += 6;
    } else if (SIMPLE_ESCAPES.has(buf[i + 1]!) && i + 2 <= end) i += 2;
    else return false;
  }
  return true;
}

/** `"`, `\`, `/`, `b`, `f`, `n`, `r`, `t` */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

const isHex = (c: number | undefined) => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
