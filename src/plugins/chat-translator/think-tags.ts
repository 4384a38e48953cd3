const OPEN = '<think>';
const CLOSE = '</think>';

/**
 * Splits `<think>…</think>` reasoning out of streamed `content` (DeepSeek-R1 distills, QwQ, Qwen3 on Groq put it
 * there). Only an answer that starts with the tag (after whitespace) is split, so a model that merely mentions the
 * tag later is left alone. Tags may be cut anywhere across pieces; a block never closed is reasoning to the end.
 * Past the block (or once the answer is plainly not one), each piece goes through as it came.
 */
export class ThinkSplitter {
  private state: 'start' | 'think' | 'after' | 'text' = 'start';
  /** Text held back: leading whitespace or a possible start of `<think>`, or a possible start of `</think>`. */
  private held = '';

  constructor(
    private readonly onReasoning: (text: string) => void,
    private readonly onText: (text: string) => void,
  ) {}

  push(piece: string): void {
    if (!piece) return;
    if (this.state === 'text') return this.onText(piece);
    if (this.state === 'start') {
      const buffer = this.held + piece;
      const rest = buffer.trimStart();
      if (rest.length < OPEN.length && OPEN.startsWith(rest)) {
        this.held = buffer;
        return;
      }
      this.held = '';
      if (!rest.startsWith(OPEN)) {
        this.state = 'text';
        return this.onText(buffer);
      }
      this.state = 'think';
      piece = rest.slice(OPEN.length);
    }
    if (this.state === 'think') {
      const buffer = this.held + piece;
      const close = buffer.indexOf(CLOSE);
      if (close < 0) {
        const keep = partialSuffix(buffer, CLOSE);
        this.held = buffer.slice(buffer.length - keep);
        if (buffer.length > keep) this.onReasoning(buffer.slice(0, buffer.length - keep));
        return;
      }
      this.held = '';
      if (close > 0) this.onReasoning(buffer.slice(0, close));
      this.state = 'after';
      piece = buffer.slice(close + CLOSE.length);
    }
    // The blank lines between the block and the answer are not part of the answer.
    const answer = piece.trimStart();
    if (!answer) return;
    this.state = 'text';
    this.onText(answer);
  }

  /** The content ended: what was held back is given as what it turned out to be. */
  end(): void {
    const held = this.held;
    this.held = '';
    if (!held) return;
    if (this.state === 'think') this.onReasoning(held);
    else if (this.state === 'start') {
      this.state = 'text';
      this.onText(held);
    }
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialSuffix(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) if (text.endsWith(tag.slice(0, n))) return n;
  return 0;
}
