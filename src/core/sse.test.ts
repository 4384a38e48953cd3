import { describe, expect, it } from 'vitest';
import { createEventReader } from './sse.js';
import type { StreamEvent } from './types.js';

function readAll(chunks: Uint8Array[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  const reader = createEventReader((event) => events.push(event), { maxEventChars: 1024 * 1024 });
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return events;
}

describe('createEventReader', () => {
  const text = '\uFEFFevent: a\ndata: {"t":"héllo ✓ 😀"}\n\nid: 7\ndata: two\ndata: lines\n\ndata: [DONE]';
  const bytes = Buffer.from(text);
  const expected: StreamEvent[] = [{ event: 'a', data: '{"t":"héllo ✓ 😀"}' }, { id: '7', data: 'two\nlines' }, { data: '[DONE]' }];

  it('reads events split at any byte, a byte-order mark and multi-byte characters included, and a last event without its blank line', () => {
    for (let at = 0; at <= bytes.length; at += 1) {
      expect(readAll([bytes.subarray(0, at), bytes.subarray(at)]), `split at ${at}`).toEqual(expected);
    }
    expect(readAll([...bytes].map((b) => Uint8Array.of(b)))).toEqual(expected);
    expect(readAll([Buffer.from(`${text}\n`)])).toEqual(expected);
    expect(readAll([Buffer.from(`${text}\n\n`)])).toEqual(expected);
  });

  it('keeps a byte-order mark that is not at the start of the stream', () => {
    expect(readAll([Buffer.from('data: x\n\n'), Buffer.from('data: \uFEFFy\n\n')])).toEqual([{ data: 'x' }, { data: '\uFEFFy' }]);
  });
});
