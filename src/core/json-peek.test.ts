import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonItems, jsonKind, jsonMembers, jsonString, jsonValue } from './json-peek.js';

/** What JSON.parse says the peek should have found, for any JSON text. */
function viaParse(text: string): Record<string, unknown> | undefined {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function peekAll(buf: Buffer): Record<string, unknown> | undefined {
  const members = jsonMembers(buf);
  if (!members) return undefined;
  return Object.fromEntries([...members].map(([key, range]) => [key, jsonValue(buf, range)]));
}

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'codex-0.169');

describe('json-peek', () => {
  it('finds the same members and values as JSON.parse for any JSON object, whatever its spacing', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(0, 2, '\t'), (object, space) => {
        const text = JSON.stringify(object, null, space);
        expect(peekAll(Buffer.from(` ${text}\n`))).toEqual(viaParse(text));
      }),
      { numRuns: 400 },
    );
  });

  it('keeps the last of duplicate keys, as JSON.parse does', () => {
    const buf = Buffer.from('{"model":"a","input":[1],"model":"b"}');
    expect(jsonString(buf, jsonMembers(buf)?.get('model'))).toBe('b');
  });

  it('decodes escaped keys and strings like JSON.parse', () => {
    const buf = Buffer.from('{"mo\\u0064el":"gpt-\\"5\\"\\\\","role":"us\\u0065r"}');
    const members = jsonMembers(buf)!;
    expect(jsonString(buf, members.get('model'))).toBe('gpt-"5"\\');
    expect(jsonString(buf, members.get('role'))).toBe('user');
    // Short keys and values are decoded byte by byte when plain ASCII; anything else as UTF-8.
    const unicode = Buffer.from('{"modèle":"été","路径":"中文😀","k":""}');
    expect(Object.fromEntries([...jsonMembers(unicode)!].map(([key, range]) => [key, jsonString(unicode, range)]))).toEqual({ modèle: 'été', 路径: '中文😀', k: '' });
  });

  it('walks a whole buffer once for its life: later peeks, in later event-loop turns too, get what the walk found', async () => {
    const after = '{"x":1,"model":"bbbb"}';
    const buf = Buffer.from('{"model":"a"}'.padEnd(after.length, ' '));
    const first = jsonMembers(buf);
    await new Promise((resolve) => setImmediate(resolve));
    expect(jsonMembers(buf)).toBe(first);
    // Documented: a buffer's bytes are taken as unchanging once walked; other bytes are another buffer.
    buf.write(after);
    expect(jsonMembers(buf)).toBe(first);
    const copy = Buffer.from(buf);
    expect(jsonString(copy, jsonMembers(copy)?.get('model'))).toBe('bbbb');
  });

  it('lists the items of a top-level array from the whole walk, the same as a walk of the array, as a copy the caller owns', () => {
    const text = '{"input":[{"a":[1,2]},"x",[3]],"tools":[],"n":[ 1 , 2 ]}';
    const buf = Buffer.from(text);
    const members = jsonMembers(buf)!;
    const fresh = Buffer.from(text);
    for (const key of ['input', 'tools', 'n']) expect(jsonItems(buf, members.get(key)), key).toEqual(jsonItems(fresh, members.get(key)));
    const items = jsonItems(buf, members.get('input'))!;
    items.pop();
    expect(jsonItems(buf, members.get('input'))).toHaveLength(3);
    // A range inside a member is not a top-level array: walked as asked.
    const inner = jsonMembers(buf, items[0])!.get('a')!;
    expect(jsonItems(buf, inner)?.map((r) => jsonValue(buf, r))).toEqual([1, 2]);
  });

  it('lists array items and tells kinds apart', () => {
    const buf = Buffer.from('{"input":[ {"type":"message"} , "text", 12, null, true, [] ]}');
    const items = jsonItems(buf, jsonMembers(buf)!.get('input'))!;
    expect(items.map((r) => jsonKind(buf, r))).toEqual(['object', 'string', 'number', 'null', 'boolean', 'array']);
    expect(jsonValue(buf, items[0]!)).toEqual({ type: 'message' });
  });

  it('answers undefined for malformed bodies and for other top-level values', () => {
    for (const text of ['', '[]', '"x"', '12', '{', '{"a":}', '{"a":1,}', '{"a" 1}', '{"a":tru}', '{"a":"x}', '{"a":[1 2]}', '{"a":1} x', '{"a":{"b":[}]}', '{"a":01}', '{"a":-}', '{"a":1.}', '{"a":1e}', '{"a":.5}', '{"a":nul}', '{"a":falsey}', '{"a":+1}']) {
      expect(jsonMembers(Buffer.from(text)), text).toBeUndefined();
    }
  });

  it('never crashes on arbitrary bytes, and agrees with JSON.parse whenever it answers and its strings are clean', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))), fc.json()), (text) => {
        const buf = Buffer.from(text);
        const peeked = peekAll(buf);
        if (peeked === undefined) return;
        expect(peeked).toEqual(viaParse(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses every one-byte change to the structure that JSON.parse refuses, and agrees on the rest', () => {
    /** Positions of a valid JSON text that lie outside its strings (quotes excluded). */
    const structural = (text: string) => {
      const at: number[] = [];
      let inString = false;
      for (let i = 0; i < text.length; i += 1) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i += 1;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else at.push(i);
      }
      return at;
    };
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), fc.constantFrom(...'{}[],: 0123456789-.eEtrufalsn'), (object, pick, byte) => {
        const text = JSON.stringify(object);
        const spots = structural(text);
        const at = spots[pick % spots.length]!;
        const mutated = text.slice(0, at) + byte + text.slice(at + 1);
        const peeked = peekAll(Buffer.from(mutated));
        if (peeked === undefined) return;
        expect(peeked).toEqual(viaParse(mutated));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not check escapes inside the strings it skips (documented): JSON.parse is what rejects those', () => {
    const buf = Buffer.from('{"a":"bad \\x escape","model":"m"}');
    expect(() => JSON.parse(buf.toString())).toThrow(SyntaxError);
    expect(jsonString(buf, jsonMembers(buf)?.get('model'))).toBe('m');
  });

  it('gives up on nesting deeper than the stack instead of throwing', () => {
    const deep = `{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expect(jsonMembers(Buffer.from(deep))).toBeUndefined();
  });

  it('reads real Codex request bodies', () => {
    for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
      const body = Buffer.from(JSON.stringify((JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as { body: unknown }).body));
      expect(peekAll(body), name).toEqual(viaParse(body.toString()));
    }
  });
});
