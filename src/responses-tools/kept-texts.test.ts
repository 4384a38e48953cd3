import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidStringContent, keepTexts, type KeptTextPlaces } from './kept-texts.js';

const everywhere: KeptTextPlaces = { functionArguments: true, imageUrls: true };

/** Code-like text: quotes, backslashes, newlines, tabs, non-ASCII and astral characters, as a pasted file has. */
const code = (bytes: number, seed = 'a') => `// ${seed} "quoted" \\path\\ é ü 中文 😀\n\tfunction f() { return '</script>'; }\n`.repeat(Math.ceil(bytes / 80));

describe('texts kept as bytes', () => {
  it('checks string bytes exactly as JSON.parse does, at any alignment', () => {
    const piece = fc.constantFrom('a', ' ', 'é', '中', '😀', '/', '"', '\\', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u00e9', '\\uD83D', '\\u12G4', '\\x', '\\u', '\\u0', '\u0001', '\u001f', '\t', '\n', '\u007f');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.nat(7), (pieces, pad) => {
        const content = pieces.join('');
        const buf = Buffer.from(`${' '.repeat(pad)}"${content}"`);
        let parses = true;
        try {
          parses = typeof JSON.parse(`"${content}"`) === 'string';
        } catch {
          parses = false;
        }
        // An unescaped quote ends a string early: the walker would never hand over such a range.
        if (/(^|[^\\])(\\\\)*"/.test(content)) return;
        expect(isValidStringContent(buf, pad + 1, buf.length - 1)).toBe(parses);
      }),
      { numRuns: 3000 },
    );
  });

  it('puts the bytes back wherever a marker went whole, and gives up (the whole body is then parsed) otherwise', () => {
    const deferred = keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: code(70_000) })), everywhere)!;
    const marker = (deferred.json as { input: string }).input;
    expect(deferred.restore(JSON.stringify({ content: marker }))!.toString()).toBe(JSON.stringify({ content: code(70_000) }));
    expect(deferred.restore(JSON.stringify({ arguments: JSON.stringify({ text: marker }) }))).toBeUndefined();
    expect(deferred.restore(JSON.stringify({ content: marker.slice(0, -3) }))).toBeUndefined();
    // Joined with other text (the translator joins parts): the bytes go in the middle of the joined string.
    expect(deferred.restore(JSON.stringify({ content: `a\n${marker}\n"b"` }))!.toString()).toBe(JSON.stringify({ content: `a\n${code(70_000)}\n"b"` }));
  });

  it('leaves small bodies and blank or non-ASCII texts to the usual parse', () => {
    expect(keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: code(12_000) })), everywhere)).toBeUndefined();
    expect(keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: ' '.repeat(70_000) })), everywhere)).toBeUndefined();
    expect(keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: '中'.repeat(30_000) })), everywhere)).toBeUndefined();
  });

  it('keeps call arguments and image URLs only where asked', () => {
    const args = JSON.stringify({ cmd: code(20_000, 'args') });
    const url = `data:image/png;base64,${Buffer.alloc(30_000, 7).toString('base64')}`;
    const raw = Buffer.from(JSON.stringify({ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: args }, { type: 'message', role: 'user', content: [{ type: 'input_image', image_url: url }, { type: 'input_image', image_url: { url } }] }] }));
    type Items = { input: [{ arguments: string }, { content: [{ image_url: string }, { image_url: { url: string } }] }] };
    const seen = (places: KeptTextPlaces) => {
      const kept = keepTexts(raw, places);
      const input = (kept?.json as Items | undefined)?.input;
      return { args: input?.[0].arguments === args, urls: [input?.[1].content[0].image_url === url, input?.[1].content[1].image_url.url === url] };
    };
    expect(seen(everywhere)).toEqual({ args: false, urls: [false, false] });
    expect(seen({ functionArguments: false, imageUrls: true })).toEqual({ args: true, urls: [false, false] });
    expect(seen({ functionArguments: true, imageUrls: false })).toEqual({ args: false, urls: [true, true] });
    expect(keepTexts(raw, { functionArguments: false, imageUrls: false })).toBeUndefined();
    const kept = keepTexts(raw, { functionArguments: false, imageUrls: true })!;
    expect(kept.restore(JSON.stringify(kept.json))!.toString()).toBe(raw.toString());
  });

  it('keeps custom tool inputs only where asked, and never a custom tool output taken for one', () => {
    const patch = `*** Begin Patch\n*** Add File: a.ts\n${code(20_000, '+')}*** End Patch\n`;
    const raw = Buffer.from(JSON.stringify({ model: 'm', input: [{ type: 'custom_tool_call', call_id: 'p', name: 'apply_patch', input: patch }, { type: 'function_call', call_id: 'f', name: 'f', input: patch, arguments: '{}' }] }));
    type Items = { input: [{ input: string }, { input: string }] };
    expect(keepTexts(raw, { functionArguments: true, imageUrls: true })).toBeUndefined();
    const kept = keepTexts(raw, { functionArguments: true, imageUrls: true, customToolInputs: true })!;
    const [custom, other] = (kept.json as Items).input;
    expect(custom.input).not.toBe(patch);
    // Only a custom tool call's input: the same field on another item is read as it is.
    expect(other.input).toBe(patch);
    expect(kept.restore(JSON.stringify(kept.json))!.toString()).toBe(raw.toString());
  });
});
