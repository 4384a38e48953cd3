import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keepTexts, KEEP_MIN_BODY_BYTES, KEEP_MIN_STRING_BYTES } from '../../src/responses-tools/kept-texts.js';

const keep = (raw: Buffer) => keepTexts(raw, { functionArguments: true, imageUrls: true });

// The translators keep large texts as bytes and gives equal texts one marker. A request is the client's to
// shape: thousands of texts of one length that differ only at their end must cost work linear in their bytes, not a
// comparison of each with every one before it (3,000 of them held the event loop for 1.4 s).

/** Texts of one length, `KEEP_MIN_STRING_BYTES` and up, that differ only in their last characters. */
const nearlyEqual = (i: number) => `${'x'.repeat(KEEP_MIN_STRING_BYTES)}${String(i).padStart(6, '0')}`;

/** Instructions long enough that even two of the shortest texts make a body large enough to be deferred. */
function body(texts: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({ model: 'm', instructions: 'z'.repeat(KEEP_MIN_BODY_BYTES), input: texts.map((text) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] })) }));
}

/** The marker each text was replaced by, in order. */
function markers(json: unknown): string[] {
  return (json as { input: { content: { text: string }[] }[] }).input.map((item) => item.content[0]!.text);
}

/** Counts byte-for-byte comparisons of buffers while `run` runs. */
function countingEquals<T>(run: () => T): { result: T; comparisons: number } {
  const original = Buffer.prototype.equals;
  let comparisons = 0;
  Buffer.prototype.equals = function (this: Buffer, other: Uint8Array) {
    comparisons += 1;
    return original.call(this, other);
  };
  try {
    return { result: run(), comparisons };
  } finally {
    Buffer.prototype.equals = original;
  }
}

describe('texts kept as bytes', () => {
  it('3,000 near-identical texts (and their repeats) take a bounded number of comparisons each', () => {
    const texts = Array.from({ length: 3_000 }, (_, i) => nearlyEqual(i % 2_500));
    const raw = body(texts);
    const { result, comparisons } = countingEquals(() => keep(raw));
    expect(result).toBeDefined();
    // Each text with each before it would be about 4.5 million comparisons.
    expect(comparisons).toBeLessThan(texts.length * 10);
    const marks = markers(result!.json);
    expect(new Set(marks).size).toBe(2_500);
    expect(marks[2_500]).toBe(marks[0]);
    expect(JSON.parse(result!.restore(JSON.stringify(result!.json))!.toString())).toEqual(JSON.parse(raw.toString()));
  });

  it('equal texts share a marker and different texts never do, whatever their lengths', () => {
    const variant = fc.record({ length: fc.integer({ min: 0, max: 2 }), tail: fc.integer({ min: 0, max: 12 }) });
    fc.assert(
      fc.property(fc.array(variant, { minLength: 2, maxLength: 60 }), (picks) => {
        const texts = picks.map(({ length, tail }) => `${'y'.repeat(KEEP_MIN_STRING_BYTES + length * 7)}${tail}`);
        const raw = body(texts);
        const deferred = keep(raw);
        expect(deferred).toBeDefined();
        const marks = markers(deferred!.json);
        for (let i = 0; i < texts.length; i++) for (let j = 0; j < i; j++) expect(marks[i] === marks[j]).toBe(texts[i] === texts[j]);
        expect(deferred!.restore(JSON.stringify(deferred!.json))!.equals(raw)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
