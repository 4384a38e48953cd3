import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotTemplate } from './slot-template.js';

const chunk = (content: string, extra: object = {}) => JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });

describe('SlotTemplate', () => {
  it('reads the open strings of a text that differs only there', () => {
    const t = SlotTemplate.learn(chunk('Hello'), [{ key: 'content', value: 'Hello' }])!;
    expect(t.match(chunk(', world'))).toEqual([', world']);
    expect(t.match(chunk(''))).toEqual(['']);
    expect(t.match(chunk('say "hi"\n\\ \u2028 é 😀'))).toEqual(['say "hi"\n\\ \u2028 é 😀']);
    // The same string written with other escapes is the same value.
    expect(t.match(chunk('x').replace('"x"', '"\\u0041\\/"'))).toEqual(['A/']);
    expect(t.hits).toBe(4);
  });

  it('refuses a text that differs elsewhere, or is not JSON where the string was', () => {
    const t = SlotTemplate.learn(chunk('Hello'), [{ key: 'content', value: 'Hello' }])!;
    expect(t.match(chunk('a', { usage: null }))).toBeUndefined();
    expect(t.match(chunk('a').replace('"c1"', '"c2"'))).toBeUndefined();
    expect(t.match(` ${chunk('a')}`)).toBeUndefined();
    expect(t.match(`${chunk('a')}\n`)).toBeUndefined();
    expect(t.match(chunk('a').replace('"a"', '"a\u0001"'))).toBeUndefined(); // a raw control character
    expect(t.match(chunk('a').replace('"a"', '"\\x"'))).toBeUndefined(); // an invalid escape
    expect(t.match(chunk('a').replace('"a"', '"a'))).toBeUndefined();
    expect(t.match(chunk('a').replace('"a"', '"a","content":"b"'))).toBeUndefined();
    expect(t.hits).toBe(0);
  });

  it('keeps several slots apart, in the order asked, wherever they stand in the text', () => {
    const text = JSON.stringify({ obfuscation: 'pad', choices: [{ delta: { content: 'x' } }] });
    const t = SlotTemplate.learn(text, [{ key: 'content', value: 'x' }, { key: 'obfuscation', value: 'pad' }])!;
    expect(t.match(JSON.stringify({ obfuscation: 'PAD2', choices: [{ delta: { content: 'y"' } }] }))).toEqual(['y"', 'PAD2']);
  });

  it('learns nothing when a key cannot be told apart', () => {
    const twice = JSON.stringify({ a: { content: 'x' }, b: { content: 'x' } });
    expect(SlotTemplate.learn(twice, [{ key: 'content', value: 'x' }])).toBeUndefined();
    const asValue = JSON.stringify({ type: 'content', delta: { content: 'x' } });
    expect(SlotTemplate.learn(asValue, [{ key: 'content', value: 'x' }])).toBeUndefined();
    const inKey = JSON.stringify({ 'a"content': 'x' });
    expect(SlotTemplate.learn(inKey, [{ key: 'content', value: 'x' }])).toBeUndefined();
    expect(SlotTemplate.learn(JSON.stringify({ content: 5 }), [{ key: 'content', value: '5' }])).toBeUndefined();
    expect(SlotTemplate.learn(JSON.stringify({ content: 'x' }), [{ key: 'content', value: 'y' }])).toBeUndefined();
    expect(SlotTemplate.learn('{"content" : \t"x" }', [{ key: 'content', value: 'x' }])?.match('{"content" : \t"y" }')).toEqual(['y']);
  });

  it('matches only a text whose parse is the template with those strings (any JSON around, any text in them)', () => {
    const around = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }).filter((extra) => !JSON.stringify(extra).includes('content'));
    fc.assert(
      fc.property(around, fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.nat(3), (extra, first, next, spaces) => {
        const doc = (content: string) => ({ ...extra, delta: { content } });
        const pad = ' '.repeat(spaces);
        const text = (content: string) => JSON.stringify(doc(content), null, pad || undefined);
        const t = SlotTemplate.learn(text(first), [{ key: 'content', value: first }]);
        expect(t).toBeDefined();
        expect(t!.match(text(next))).toEqual([next]);
      }),
    );
  });

  it('never reads a text other than the parse would (texts cut, spliced and mutated)', () => {
    const base = chunk('Hello', { obfuscation: 'abc' });
    const t = SlotTemplate.learn(base, [{ key: 'content', value: 'Hello' }, { key: 'obfuscation', value: 'abc' }])!;
    const mutated = fc.tuple(fc.string({ unit: 'binary' }), fc.nat(base.length + 10), fc.nat(6), fc.string({ unit: 'binary', maxLength: 6 })).map(([content, at, drop, insert]) => {
      const text = chunk(content, { obfuscation: 'abc' });
      return text.slice(0, at) + insert + text.slice(at + drop);
    });
    fc.assert(
      fc.property(mutated, (text) => {
        const values = t.match(text);
        if (!values) return;
        const parsed = JSON.parse(text) as { choices: { delta: { content: unknown } }[]; obfuscation: unknown };
        expect(values).toEqual([parsed.choices[0]!.delta.content, parsed.obfuscation]);
        expect(JSON.stringify({ ...JSON.parse(base), obfuscation: values[1], choices: [{ index: 0, delta: { content: values[0] }, finish_reason: null }] })).toBe(JSON.stringify(parsed));
      }),
      { numRuns: 2000 },
    );
  });
});
