import { describe, expect, it } from 'vitest';
import { HistoryPrefixes, type HistoryPrefix, type RememberedHistory } from './history-prefix.js';
import { keepTexts } from './kept-texts.js';

type Named = RememberedHistory & { name: string };

const entry = (bytes: Buffer[], name: string, size: number): HistoryPrefix<Named> => ({ bytes, length: bytes.reduce((n, b) => n + b.length, 0), open: 0, items: 1, state: { name, resumed: { items: 1 }, sealed: [], systemParts: [], tools: undefined }, size, held: bytes });

describe('remembered history prefixes', () => {
  it('match a body only where an item of the remembered prefix ends, and stay within their entries and bytes', () => {
    const prefixes = new HistoryPrefixes<Named>(2, 100);
    const body = Buffer.from('{"model":"m","input":[{"a":1},{"b":2}],"x":1}');
    const end = body.indexOf('}') + 1;
    prefixes.remember({ ...entry([body.subarray(0, 5), body.subarray(5, end)], 'one', 40), open: body.indexOf('[') });
    const match = prefixes.match(body)!;
    expect(match.prefix.state.name).toBe('one');
    expect(match.rest.toString()).toBe('{"model":"m","input":[{"b":2}],"x":1}');
    expect(prefixes.match(Buffer.from('{"model":"m","input":[{"a":1} ]}'))!.rest.toString()).toBe('{"model":"m","input":[]}');
    // Same first bytes, but the item goes on: no boundary there.
    expect(prefixes.match(Buffer.from('{"model":"m","input":[{"a":1}}'))).toBeUndefined();
    expect(prefixes.match(Buffer.from('{"model":"n","input":[{"a":1},{"b":2}]}'))).toBeUndefined();
    expect(prefixes.match(Buffer.from('{"model":"m","input":[{"a":2},{"b":2}]}'))).toBeUndefined();
    prefixes.remember(entry([Buffer.from('x')], 'two', 40));
    prefixes.remember(entry([Buffer.from('y')], 'three', 40));
    expect(prefixes.stats()).toMatchObject({ sessions: 2, bytes: 80 });
    expect(prefixes.match(body)).toBeUndefined();
    prefixes.remember(entry([Buffer.from('z')], 'big', 101));
    expect(prefixes.stats().sessions).toBe(2);
    prefixes.remember(entry([Buffer.from('w')], 'most', 70));
    expect(prefixes.stats()).toMatchObject({ sessions: 1, bytes: 70 });
  });

  it("copy large pieces into buffers of their own and reuse those of entries that went, never one an entry still holds", () => {
    const prefixes = new HistoryPrefixes<Named>(1, 10 * 1024 * 1024);
    const large = (fill: number) => Buffer.alloc(200 * 1024, fill);
    const first = prefixes.copy(large(1));
    expect(first.equals(large(1))).toBe(true);
    expect(first.buffer.byteLength).toBeGreaterThan(first.length);
    const small = prefixes.copy(Buffer.from('small'));
    expect(small.toString()).toBe('small');
    prefixes.remember(entry([first], 'a', first.length));
    // The second entry shares the first's piece (a session grown by a turn): nothing is free when the first goes.
    const grown = entry([first, prefixes.copy(large(2))], 'b', 2 * first.length);
    prefixes.remember(grown, prefixes.match(Buffer.concat([first, Buffer.from(']')]))?.prefix);
    expect(prefixes.copy(large(3)).buffer).not.toBe(first.buffer);
    // A third session pushes the grown one out: its buffers are reused, and hold the new bytes.
    prefixes.remember(entry([prefixes.copy(large(4))], 'c', first.length));
    const reused = prefixes.copy(large(5));
    expect([first.buffer, grown.bytes[1]!.buffer]).toContain(reused.buffer);
    expect(reused.equals(large(5))).toBe(true);
  });

  it("write a serialized array's elements, texts put back, into a buffer an entry that went held", () => {
    const prefixes = new HistoryPrefixes<Named>(1, 10 * 1024 * 1024);
    const text = (fill: string) => `${fill} "quoted" é 中文\n`.repeat(8 * 1024);
    const kept = keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: [{ type: 'message', role: 'user', content: text('a') }] })), { functionArguments: true, imageUrls: true })!;
    const marker = ((kept.json as { input: { content: string }[] }).input[0]!).content;
    const old = prefixes.copy(Buffer.alloc(300 * 1024, 1));
    prefixes.remember(entry([old], 'old', old.length));
    prefixes.remember(entry([Buffer.from('x')], 'next', 1));
    const messages = [{ role: 'user', content: marker }, { role: 'assistant', content: 'no marker' }];
    const piece = prefixes.piece(kept, JSON.stringify(messages))!;
    expect(piece.buffer).toBe(old.buffer);
    expect(piece.toString()).toBe(JSON.stringify([{ role: 'user', content: text('a') }, messages[1]]).slice(1, -1));
    expect(prefixes.piece(kept, JSON.stringify([{ content: marker.slice(0, -2) }]))).toBeUndefined();
    // With no marker, the bytes are the serialized array's own.
    expect(prefixes.piece(kept, '[1,2]')!.toString()).toBe('1,2');
  });

  it('keep the spare buffers of the sessions that went last, so that larger sessions after smaller ones reuse theirs', () => {
    const prefixes = new HistoryPrefixes<Named>(8, 4 * 1024 * 1024);
    const session = (kb: number, name: string) => {
      const piece = prefixes.copy(Buffer.alloc(kb * 1024, name.length));
      prefixes.remember(entry([piece], name, piece.buffer.byteLength));
      return piece.buffer;
    };
    for (let k = 0; k < 8; k++) session(100, `small ${k}`);
    // Eight larger sessions push the small ones out: their buffers, too small to reuse, fill the spare room.
    const large = Array.from({ length: 8 }, (_, k) => session(300, `large ${k}`));
    // The next pushes a large one out: its buffer is kept (the oldest small ones go) and the one after reuses it.
    large.push(session(300, 'large 8'));
    expect(large).toContain(prefixes.copy(Buffer.alloc(300 * 1024, 1)).buffer);
  });
});
