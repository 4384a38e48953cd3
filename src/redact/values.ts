/**
 * Redaction by value: secrets recognised by their shape, wherever they appear (a prompt, a tool output, an
 * SSE event, an error message). Key and header rules miss a token pasted into text; these patterns do not.
 *
 * Every pattern runs in time linear in its input: text from a request (a model name, an upstream's echo of it)
 * reaches them, and one regex that backtracks over a long run would hold the event loop for every stream.
 */

export const REDACTED = '<redacted>';

/** One secret found: `text.slice(start, end)` is replaced by `replacement`. */
export interface SecretHit {
  start: number;
  end: number;
  replacement: string;
}

export interface ValuePattern {
  name: string;
  /** The secrets in `text`, in order and not overlapping: what a left-to-right regex search would find. */
  hits(text: string): Iterable<SecretHit>;
}

/**
 * A pattern whose regex cannot backtrack over more than a fixed length: after its fixed prefix each quantified
 * class either runs to the end of the match or fails within the class's minimum count.
 */
function boundedRegex(name: string, source: RegExp, replace: (match: RegExpExecArray) => string = () => REDACTED): ValuePattern {
  return {
    name,
    *hits(text) {
      const pattern = new RegExp(source.source, source.flags);
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) yield { start: m.index, end: m.index + m[0].length, replacement: replace(m) };
    },
  };
}

const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const DASH = 45;

/**
 * JWTs, as `\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*` would find them, without its backtracking (`eyJ-eyJ-…` costs the
 * regex time quadratic in the run). A JWT lies inside one maximal run of `[\w.-]`: split the run at its dots; a
 * match starts at the first `eyJ` on a word boundary in segment i with 5+ characters after it, when segment i+1 has
 * 5+ characters and a segment i+2 follows, and ends with segment i+2.
 */
const jwt: ValuePattern = {
  name: 'jwt',
  *hits(text) {
    const runs = /[\w.-]+/g;
    for (let run = runs.exec(text); run !== null; run = runs.exec(text)) {
      if (!run[0].includes('eyJ')) continue;
      const segments = run[0].split('.');
      let offset = run.index;
      const starts = segments.map((segment) => {
        const start = offset;
        offset += segment.length + 1;
        return start;
      });
      for (let i = 0; i + 2 < segments.length; i++) {
        const segment = segments[i]!;
        if (segments[i + 1]!.length < 5) continue;
        const at = firstJwtStart(segment);
        if (at === -1) continue;
        yield { start: starts[i]! + at, end: starts[i + 2]! + segments[i + 2]!.length, replacement: REDACTED };
        i += 2;
      }
    }
  },
};

/** The first `eyJ` after a word boundary (the segment's start, or a `-`) with at least 5 characters after it. */
function firstJwtStart(segment: string): number {
  for (let at = segment.indexOf('eyJ'); at !== -1 && segment.length - at - 3 >= 5; at = segment.indexOf('eyJ', at + 1)) {
    if (at === 0 || segment.charCodeAt(at - 1) === DASH) return at;
  }
  return -1;
}

/**
 * Copilot session tokens (`tid=…;exp=…;sku=…;proxy-ep=…;…:<hmac>`, fields in any order), as
 * `\b(?:tid|exp)=[^\s"'\\;]*;[^\s"'\\]*` would find them, without its backtracking (`tid=tid=…`). A token lies inside
 * one maximal run of `[^\s"'\\]` and runs to its end; it starts at the first `tid=` or `exp=` on a word boundary
 * that has a `;` somewhere after it in the run.
 */
const copilot: ValuePattern = {
  name: 'copilot',
  *hits(text) {
    const runs = /[^\s"'\\]+/g;
    for (let run = runs.exec(text); run !== null; run = runs.exec(text)) {
      const value = run[0];
      const lastSemicolon = value.lastIndexOf(';');
      if (lastSemicolon < 4) continue;
      const at = firstField(value);
      if (at !== -1 && at + 4 <= lastSemicolon) yield { start: run.index + at, end: run.index + value.length, replacement: REDACTED };
    }
  },
};

function firstField(value: string): number {
  const fields = /tid=|exp=/g;
  for (let m = fields.exec(value); m !== null; m = fields.exec(value)) {
    if (m.index === 0 || !isWordChar(value.charCodeAt(m.index - 1))) return m.index;
  }
  return -1;
}

/** Ordered: scheme-prefixed forms first so `Bearer ghu_…` keeps its scheme word. */
export const valuePatterns: readonly ValuePattern[] = [
  boundedRegex('bearer', /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=:;-]{8,}/gi, (m) => `${m[1]} ${REDACTED}`),
  boundedRegex('github', /\b(?:gh[oprsu]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})/g),
  jwt,
  boundedRegex('openai-key', /\bsk-[A-Za-z0-9_-]{16,}/g),
  boundedRegex('google-key', /\bAIza[0-9A-Za-z_-]{30,}/g),
  copilot,
];

function replaceHits(text: string, hits: Iterable<SecretHit>): string {
  let out = '';
  let from = 0;
  for (const hit of hits) {
    out += text.slice(from, hit.start) + hit.replacement;
    from = hit.end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Replaces every recognised secret in `text`. */
export function redactText(text: string): string {
  let out = text;
  for (const pattern of valuePatterns) out = replaceHits(out, pattern.hits(out));
  return out;
}

/** Whether `text` holds anything `redactText` would replace. */
export function containsSecret(text: string): boolean {
  return valuePatterns.some((pattern) => !pattern.hits(text)[Symbol.iterator]().next().done);
}

/**
 * Where in `text` secrets lie, as sorted, merged `[start, end)` ranges: for text that reaches its reader in pieces
 * (the deltas of a stream), so each piece can lose its part of a secret that no piece holds whole.
 */
export function secretRanges(text: string): [number, number][] {
  const all = valuePatterns.flatMap((pattern) => [...pattern.hits(text)].map((hit): [number, number] => [hit.start, hit.end])).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of all) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

/**
 * Pieces of one text (the deltas of a stream) with every secret of the joined text removed: each piece loses the
 * part of a secret it holds, as `<redacted>`, even when no piece holds enough of it to be recognised alone.
 */
export function redactPieces(pieces: readonly string[]): string[] {
  const joined = pieces.join('');
  const ranges = secretRanges(joined);
  if (ranges.length === 0) return [...pieces];
  let next = 0;
  let offset = 0;
  return pieces.map((piece) => {
    const start = offset;
    const end = (offset += piece.length);
    while (next < ranges.length && ranges[next]![1] <= start) next++;
    let out = '';
    let from = start;
    for (let i = next; i < ranges.length && ranges[i]![0] < end; i++) {
      const [a, b] = ranges[i]!;
      out += joined.slice(from, Math.max(a, start)) + REDACTED;
      from = Math.min(b, end);
    }
    return from === start ? piece : out + joined.slice(from, end);
  });
}

/** Text beyond this many characters past a cut cannot hold the rest of a secret that starts before the cut. */
export const CUT_MARGIN = 4096;

/**
 * `text` redacted and cut to `max` characters (plus `…` when cut). Only `max + CUT_MARGIN` characters are read, so a
 * 1 MiB string costs no more than a short one, and a secret that straddles the cut is still recognised whole.
 */
export function redactCut(text: string, max: number): string {
  const read = max + CUT_MARGIN;
  const cut = text.length > read;
  const out = truncateChars(redactText(cut ? text.slice(0, read) : text), max);
  return cut && !out.endsWith('…') ? `${out}…` : out;
}

/** The first `max` code points plus `…` when longer (like `truncate`, without splitting the whole string). */
function truncateChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let units = 0;
  for (let points = 0; points < max && units < text.length; points++) units += text.codePointAt(units)! > 0xffff ? 2 : 1;
  return units >= text.length ? text : `${text.slice(0, units)}…`;
}
