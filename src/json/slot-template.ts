/**
 * A JSON text learned from one stream event, with the values of some of its string members left open (slots). A
 * later text that equals it byte for byte outside those values, each of them a valid JSON string, is the same
 * document but for those strings: a translator reads the slots' values instead of parsing the text again. A long
 * answer is hundreds of events that differ only in their delta text, and parsing each costs more than the rest of
 * translating it.
 */
export class SlotTemplate {
  /** The fixed text around the slots: `fixed[i]` ends with slot i's opening quote, `fixed[i + 1]` starts with its closing one. */
  private readonly fixed: string[];
  /** The position in the caller's list of each slot, in text order. */
  private readonly order: number[];
  /** How many texts it matched. */
  hits = 0;

  private constructor(fixed: string[], order: number[]) {
    this.fixed = fixed;
    this.order = order;
  }

  /**
   * The template of `text` (valid JSON) with the given members open, or undefined when one of them cannot be told
   * apart in the text: each key must occur exactly once in it (so no other member, at any depth, has that name),
   * outside any string, its value a string equal to `value` (the caller's parse of the same text).
   */
  static learn(text: string, slots: readonly { key: string; value: string }[]): SlotTemplate | undefined {
    const found: { at: number; end: number; slot: number }[] = [];
    for (let slot = 0; slot < slots.length; slot += 1) {
      const { key, value } = slots[slot]!;
      const name = `"${key}"`;
      const at = text.indexOf(name);
      if (at <= 0 || text.indexOf(name, at + 1) !== -1 || text.charCodeAt(at - 1) === BACKSLASH) return undefined;
      let i = skipSpace(text, at + name.length);
      if (text.charCodeAt(i) !== COLON) return undefined;
      i = skipSpace(text, i + 1);
      if (text.charCodeAt(i) !== QUOTE) return undefined;
      const close = stringEnd(text, i + 1);
      if (close < 0 || readString(text, i + 1, close) !== value) return undefined;
      found.push({ at: i + 1, end: close, slot });
    }
    found.sort((a, b) => a.at - b.at);
    const fixed: string[] = [];
    let from = 0;
    for (const f of found) {
      fixed.push(text.slice(from, f.at));
      from = f.end;
    }
    fixed.push(text.slice(from));
    return new SlotTemplate(fixed, found.map((f) => f.slot));
  }

  /** The slots' values (in the order `learn` was given them) when `text` matches, else undefined. */
  match(text: string): string[] | undefined {
    const { fixed, order } = this;
    const values: string[] = new Array<string>(order.length);
    let pos = 0;
    for (let i = 0; i < order.length; i += 1) {
      const before = fixed[i]!;
      if (!sameAt(text, before, pos)) return undefined;
      pos += before.length;
      const close = stringEnd(text, pos);
      if (close < 0) return undefined;
      const value = readString(text, pos, close);
      if (value === undefined) return undefined;
      values[order[i]!] = value;
      pos = close;
    }
    const last = fixed[order.length]!;
    if (text.length !== pos + last.length || !sameAt(text, last, pos)) return undefined;
    this.hits += 1;
    return values;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * Whether `text` holds `part` at `pos`. A slice compared with `===` rather than `startsWith`, which V8 runs fast
 * only for a constant argument: with a template's text it took about 0.5 µs a chunk, the slice about 0.05 µs.
 */
function sameAt(text: string, part: string, pos: number): boolean {
  return text.slice(pos, pos + part.length) === part;
}

function skipSpace(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(i)) i += 1;
  return i;
}

/**
 * The index of the quote that closes the JSON string whose text starts at `from` (just after its opening quote),
 * or -1 when there is none or a raw control character (invalid in JSON) comes first. Escapes are skipped, not
 * checked: `readString` checks them.
 */
function stringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i += 1;
    else if (c < 0x20) return -1;
  }
  return -1;
}

/** The value of the JSON string between `from` and its closing quote at `close`; undefined when an escape is invalid. */
function readString(text: string, from: number, close: number): string | undefined {
  const raw = text.slice(from, close);
  if (raw.indexOf('\\') === -1) return raw;
  try {
    return JSON.parse(text.slice(from - 1, close + 1)) as string;
  } catch {
    return undefined;
  }
}
