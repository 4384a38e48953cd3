import { describe, expect, it } from 'vitest';
import { openCarrier, sealCarrier } from './carrier.js';

describe('sealed carriers', () => {
  it('opens what it sealed, again and again, and only with the key it was sealed with', () => {
    const blob = sealCarrier('t.x1.', { t: 'thinking', d: [{ sig: 'abc' }] }, 'key-a');
    expect(openCarrier('t.x1.', blob, 'key-a')).toEqual({ t: 'thinking', d: [{ sig: 'abc' }] });
    // A blob opened once (and remembered) is still refused under another key or another prefix.
    expect(openCarrier('t.x1.', blob, 'key-b')).toBeUndefined();
    expect(openCarrier('t.x2.', blob, 'key-a')).toBeUndefined();
    expect(openCarrier('t.x1.', blob, 'key-a')).toEqual({ t: 'thinking', d: [{ sig: 'abc' }] });
  });

  it('refuses an altered blob even after the original was opened', () => {
    const blob = sealCarrier('t.x1.', { t: 'one' }, 'k');
    expect(openCarrier('t.x1.', blob, 'k')).toEqual({ t: 'one' });
    const dot = blob.lastIndexOf('.');
    const altered = `${blob.slice(0, dot - 1)}${blob[dot - 1] === 'A' ? 'B' : 'A'}${blob.slice(dot)}`;
    expect(openCarrier('t.x1.', altered, 'k')).toBeUndefined();
  });

  it('gives every request the same value, frozen, so no request can change what the next one reads', () => {
    const blob = sealCarrier('t.x1.', { d: [{ sig: 'abc' }] }, 'k');
    const first = openCarrier('t.x1.', blob, 'k') as { d: { sig: string }[] };
    expect(() => {
      first.d[0]!.sig = 'changed';
    }).toThrow(TypeError);
    expect(openCarrier('t.x1.', blob, 'k')).toEqual({ d: [{ sig: 'abc' }] });
  });
});
