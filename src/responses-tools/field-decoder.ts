/**
 * Streams the decoded value of one string field out of JSON arguments that arrive in pieces, e.g. the patch inside
 * `{"patch":"*** Begin Patch\n…"}`, so `custom_tool_call_input.delta` can carry raw text live. When the arguments
 * do not start as `{"<field>":"…`, it gives up (`fallback`) and the caller sends the whole input at the end.
 */
export class FieldDecoder {
  private buf = '';
  private pos = 0;
  private state: 'seek' | 'in' | 'done' | 'fallback' = 'seek';
  private held = '';
  private readonly target: string;
  private readonly opening: RegExp;

  constructor(field: string) {
    const key = JSON.stringify(field);
    this.target = `{${key}:"`;
    this.opening = new RegExp(`^\\s*\\{\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:\\s*"`);
  }

  /** Whether the arguments had the expected shape: the decoded text then is the input. */
  get entered(): boolean {
    return this.state === 'in' || this.state === 'done';
  }

  /** Text held back at the end (a lone high surrogate). */
  finish(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Feeds the next arguments piece; returns the newly decoded text ('' when nothing new is certain yet). */
  push(piece: string): string {
    this.buf += piece;
    if (this.state === 'seek') {
      const match = this.opening.exec(this.buf);
      if (match) {
        this.state = 'in';
        this.pos = match[0].length;
      } else {
        const compact = this.buf.replace(/\s+/g, '');
        if (!this.target.startsWith(compact)) this.state = 'fallback';
        return '';
      }
    }
    if (this.state !== 'in') return '';
    let out = this.held;
    this.held = '';
    while (this.pos < this.buf.length) {
      const ch = this.buf[this.pos]!;
      if (ch === '"') {
        this.state = 'done';
        break;
      }
      if (ch !== '\\') {
        out += ch;
        this.pos += 1;
        continue;
      }
      const next = this.buf[this.pos + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const hex = this.buf.slice(this.pos + 2, this.pos + 6);
        if (hex.length < 4) break;
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.state = 'fallback';
          return '';
        }
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
        continue;
      }
      const simple = ESCAPES[next];
      if (simple === undefined) {
        this.state = 'fallback';
        return '';
      }
      out += simple;
      this.pos += 2;
    }
    // Never split a surrogate pair across two deltas.
    const last = out.charCodeAt(out.length - 1);
    if (this.state === 'in' && last >= 0xd800 && last <= 0xdbff) {
      this.held = out.slice(-1);
      out = out.slice(0, -1);
    }
    return out;
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
