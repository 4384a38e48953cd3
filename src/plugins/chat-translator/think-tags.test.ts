import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ThinkSplitter } from './think-tags.js';

function split(pieces: string[]): { reasoning: string; text: string; calls: number } {
  const out = { reasoning: '', text: '', calls: 0 };
  const s = new ThinkSplitter(
    (t) => {
      out.calls++;
      expect(t).not.toBe('');
      out.reasoning += t;
    },
    (t) => {
      out.calls++;
      expect(t).not.toBe('');
      out.text += t;
    },
  );
  for (const p of pieces) s.push(p);
  s.end();
  return out;
}

/** The text cut at the given positions (sorted, deduplicated, inside it). */
function cut(text: string, at: number[]): string[] {
  const chars = [...text];
  const points = [...new Set(at.map((n) => n % (chars.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const p of points) {
    out.push(chars.slice(from, p).join(''));
    from = p;
  }
  out.push(chars.slice(from).join(''));
  return out;
}

// Text of the characters that make tags, and some that do not, so near-tags come up often.
const tagText = fc.string({ unit: fc.constantFrom('<', '>', '/', 't', 'h', 'i', 'n', 'k', ' ', '\n', 'é', '😀', 'a'), maxLength: 30 });
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('ThinkSplitter', () => {
  it('splits a leading block cut at any position: reasoning inside, the answer after it', () => {
    fc.assert(
      fc.property(fc.constantFrom('', ' ', '\n\n'), tagText.filter((r) => !r.includes('</think>')), tagText, cuts, (lead, reasoning, answer, at) => {
        const whole = `${lead}<think>${reasoning}</think>\n\n${answer}`;
        const got = split(cut(whole, at));
        expect(got.reasoning).toBe(reasoning);
        expect(got.text).toBe(answer.trimStart());
      }),
      { numRuns: 400 },
    );
  });

  it('gives a block never closed as reasoning to the end', () => {
    fc.assert(
      fc.property(tagText.filter((r) => !r.includes('</think>')), cuts, (reasoning, at) => {
        const got = split(cut(`<think>${reasoning}`, at));
        expect(got).toMatchObject({ reasoning, text: '' });
      }),
      { numRuns: 300 },
    );
  });

  it('leaves an answer that does not start with the tag as it came', () => {
    fc.assert(
      fc.property(tagText.filter((t) => !t.trimStart().startsWith('<think>')), cuts, (text, at) => {
        expect(split(cut(text, at))).toMatchObject({ reasoning: '', text });
      }),
      { numRuns: 400 },
    );
  });

  it('passes each piece after the block through unchanged, without holding it back', () => {
    const texts: string[] = [];
    const s = new ThinkSplitter(() => undefined, (t) => texts.push(t));
    for (const p of ['<th', 'ink>why</th', 'ink>', '\n\n', 'An', 'swer <think> kept']) s.push(p);
    expect(texts).toEqual(['An', 'swer <think> kept']);
  });
});
