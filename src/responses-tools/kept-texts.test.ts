import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { responsesBody } from '../../test/support/responses-bodies.js';
import { checkString } from './kept-scan.js';
import { BytesCache } from './bytes-cache.js';
import { KEEP_MIN_STRING_BYTES, keepTexts, type KeptTextPlaces } from './kept-texts.js';

const everywhere: KeptTextPlaces = { functionArguments: true, imageUrls: true };

/** Code-like text: quotes, backslashes, newlines, tabs, non-ASCII and astral characters, as a pasted file has. */
const code = (bytes: number, seed = 'a') => `// ${seed} "quoted" \\path\\ é ü 中文 😀\n\tfunction f() { return '</script>'; }\n`.repeat(Math.ceil(bytes / 80));

/** Every string of `kept` with the string at the same place in `original`. */
function* pairs(kept: unknown, original: unknown): Generator<[string, string]> {
  if (typeof kept === 'string') yield [kept, original as string];
  else if (kept && typeof kept === 'object') for (const [k, v] of Object.entries(kept)) yield* pairs(v, (original as Record<string, unknown>)[k]);
}

/** The text of each assistant message whose only text is one string, kept and original. */
function* assistantTexts(kept: unknown, original: unknown): Generator<[string, string]> {
  const items = (kept as { input: unknown[] }).input;
  const originals = (original as { input: unknown[] }).input;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { role?: unknown; content?: unknown };
    if (item.role !== 'assistant') continue;
    const source = (originals[i] as { content: unknown }).content;
    if (typeof item.content === 'string') yield [item.content, source as string];
    else if (Array.isArray(item.content) && item.content.length === 1 && typeof item.content[0]?.text === 'string') yield [item.content[0].text as string, (source as { text: string }[])[0]!.text];
  }
}

describe('texts kept as bytes', () => {
  it('checks string bytes exactly as JSON.parse does, at any alignment, and tells escapes JSON.stringify would write', () => {
    const piece = fc.constantFrom('a', ' ', 'é', '中', '😀', '/', '\\', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u00e9', '\\u001f', '\\u001F', '\\u0008', '\\u0000', '\\uD83D', '\\ud83d', '\\u12G4', '\\x', '\\u', '\\u0', '\u0001', '\u001f', '\t', '\n', '\u007f');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.nat(7), fc.constantFrom('', ',"next":"x"}', '"'), (pieces, pad, after) => {
        const content = pieces.join('');
        // An unescaped quote ends a string early; an odd run of backslashes at its end escapes its closing quote.
        if (/(^|[^\\])(\\\\)*"/.test(content) || /(^|[^\\])\\(\\\\)*$/.test(content)) return;
        const buf = Buffer.from(`${' '.repeat(pad)}"${content}"${after}`);
        let parsed: string | undefined;
        try {
          parsed = JSON.parse(`"${content}"`) as string;
        } catch {
          parsed = undefined;
        }
        const { check, end } = checkString(buf, pad);
        expect(end).toBe(buf.length - after.length);
        expect(check > 0).toBe(parsed !== undefined);
        // Escaped as JSON.stringify escapes: equal texts then have equal bytes. Surrogate escapes are never taken as such.
        if (parsed !== undefined && !/\\u[dD]/.test(content)) expect(check === 2).toBe(JSON.stringify(parsed) === `"${content}"`);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives back the body it was given, whatever the texts and wherever they are', () => {
    fc.assert(
      fc.property(responsesBody, (text) => {
        const raw = Buffer.from(text);
        const kept = keepTexts(raw, everywhere);
        if (!kept) return;
        const restored = kept.restore(JSON.stringify(kept.json));
        expect(JSON.parse(restored!.toString())).toEqual(JSON.parse(text));
        // Kept texts are never blank, and assistant texts share a marker exactly when they are equal.
        const assistant = new Map<string, string>();
        for (const [value, original] of pairs(kept.json, JSON.parse(text))) {
          if (value === original) continue;
          expect(value.trim()).not.toBe('');
          expect(original.trim()).not.toBe('');
          if (!value.startsWith('\u0001')) expect.fail(`changed but not a marker: ${value}`);
        }
        for (const [marker, original] of assistantTexts(kept.json, JSON.parse(text))) {
          if (marker === original) continue;
          for (const [m, o] of assistant) expect(m === marker).toBe(o === original);
          assistant.set(marker, original);
        }
      }),
      { numRuns: 400 },
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

  it("puts back the bytes of texts the translator adds with keep, like the body's own", () => {
    const kept = keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: code(20_000) })), everywhere)!;
    const added = 'carried "reasoning" \\ é 中文 😀\n';
    const marker = kept.keep(Buffer.from(JSON.stringify(added).slice(1, -1)));
    const body = { content: (kept.json as { input: string }).input, reasoning: `${marker}\n\n${marker}` };
    expect(kept.restore(JSON.stringify(body))!.toString()).toBe(JSON.stringify({ content: code(20_000), reasoning: `${added}\n\n${added}` }));
  });

  it('gives the top-level tools array as sent, and puts a whole JSON value added with keepJson in place of its string', () => {
    const tools = [{ type: 'function', name: 'shell', description: 'runs "a" command é' }];
    const raw = `{"model":"m","tools":[1],"input":${JSON.stringify(code(20_000))},"tools": ${JSON.stringify(tools)} }`;
    const kept = keepTexts(Buffer.from(raw), everywhere)!;
    // The last of repeated keys, as JSON.parse reads it.
    expect(kept.toolsBytes!.toString()).toBe(JSON.stringify(tools));
    expect(keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: code(20_000), tools: 'none' })), everywhere)!.toolsBytes).toBeUndefined();
    const value = Buffer.from(JSON.stringify([{ type: 'function', function: { name: 'shell' } }]));
    const marker = kept.keepJson(value);
    const input = (kept.json as { input: string }).input;
    expect(kept.restore(JSON.stringify({ tools: marker, messages: input }))!.toString()).toBe(`{"tools":${value.toString()},"messages":${JSON.stringify(code(20_000))}}`);
    // Anywhere but as a whole string, the body is translated parsed instead.
    expect(kept.restore(JSON.stringify({ tools: `${marker} ` }))).toBeUndefined();
    expect(kept.restore(JSON.stringify({ tools: `"${marker}` }))).toBeUndefined();
    expect(kept.restore(JSON.stringify({ tools: [marker] }))!.toString()).toBe(`{"tools":[${value.toString()}]}`);
    // Kept out of the parse where asked: read through original, moved whole.
    const out = keepTexts(Buffer.from(raw), { ...everywhere, tools: true })!;
    const json = out.json as { tools: unknown; input: string };
    expect(typeof json.tools).toBe('string');
    expect(out.original(json.tools)).toEqual(tools);
    expect(out.toolsBytes!.toString()).toBe(JSON.stringify(tools));
    expect(out.restore(JSON.stringify({ tools: json.tools, input: json.input }))!.toString()).toBe(`{"tools":${JSON.stringify(tools)},"input":${JSON.stringify(code(20_000))}}`);
    const spoilt = keepTexts(Buffer.from(raw.replace('command', 'com\\xmand')), { ...everywhere, tools: true })!;
    expect(() => spoilt.original((spoilt.json as { tools: unknown }).tools)).toThrow(SyntaxError);
  });

  it('passes over a tools array given as sent before, and walks any other: the same kept body either way', () => {
    const tools = [{ type: 'function', name: 'shell', description: 'runs "a" command ] é', parameters: { type: 'object', properties: { cmd: { type: 'array' } } } }];
    const array = JSON.stringify(tools);
    const places = { ...everywhere, tools: true };
    const at = (tail: string) => Buffer.from(`{"model":"m","input":${JSON.stringify(code(20_000))},"tools":${array}${tail}}`);
    const view = (kept: ReturnType<typeof keepTexts>) => kept && { json: kept.json, tools: kept.toolsBytes?.toString(), input: kept.input, body: kept.restore(JSON.stringify(kept.json))?.toString() };
    const other = JSON.stringify([{ type: 'function', name: 'shelx', description: 'runs "a" command ] é', parameters: { type: 'object', properties: { cmd: { type: 'array' } } } }]);
    for (const tail of ['', ',"store":false', ' ']) {
      const body = at(tail);
      const walked = view(keepTexts(body, places));
      expect(walked!.tools).toBe(array);
      // Whole values a scan found before: the same bytes, a different array of the same length, a shorter one, one
      // that starts with this one, one longer than the whole body, and a string: each gives what the walk gives.
      const longer = JSON.stringify([...tools, { type: 'function', name: 'x' }]);
      for (const known of [array, other, '[]', longer, JSON.stringify([...tools, 'x'.repeat(body.length)]), '"tools"']) {
        expect(view(keepTexts(body, places, undefined, [Buffer.from(known)]))).toEqual(walked);
        expect(view(keepTexts(body, places, undefined, [Buffer.from(other), Buffer.from(known), Buffer.from(array)]))).toEqual(walked);
      }
    }
    // Known bytes never make a body that JSON.parse refuses into one kept.
    const spoilt = Buffer.from(`{"model":"m","input":${JSON.stringify(code(20_000))},"tools":${array}x}`);
    expect(keepTexts(spoilt, places, undefined, [Buffer.from(array)])).toBeUndefined();
  });

  it('leaves small bodies, short texts and blank texts to the usual parse', () => {
    expect(keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: code(12_000) })), everywhere)).toBeUndefined();
    expect(keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: ' \u00a0\u3000\n'.repeat(20_000) })), everywhere)).toBeUndefined();
    const short = 'x'.repeat(KEEP_MIN_STRING_BYTES - 1);
    expect(keepTexts(Buffer.from(JSON.stringify({ model: 'm', metadata: code(20_000), input: [{ role: 'user', content: short }] })), everywhere)).toBeUndefined();
    // Any text with a character that is not space is kept, non-ASCII too.
    const kept = keepTexts(Buffer.from(JSON.stringify({ model: 'm', input: '中'.repeat(30_000) })), everywhere);
    expect((kept?.json as { input: string }).input.startsWith('\u0001')).toBe(true);
  });

  it('keeps an assistant text only where equal texts are sure to have equal bytes', () => {
    const text = code(200, 'assistant');
    const assistant = (content: unknown) => ({ type: 'message', role: 'assistant', content });
    const texts = (input: unknown[]) => (keepTexts(Buffer.from(JSON.stringify({ model: 'm', metadata: code(20_000), input })), everywhere)?.json as { input: { content: { text: string }[] }[] } | undefined)?.input.map((i) => i.content[0]!.text);
    const [first, again] = texts([assistant([{ type: 'output_text', text }]), assistant([{ type: 'output_text', text }])])!;
    expect(first!.startsWith('\u0001')).toBe(true);
    expect(again).toBe(first);
    // Two text parts join into one text, which may equal another message's single text: none is kept.
    expect(texts([assistant([{ type: 'output_text', text: text.slice(0, 100) }, { type: 'output_text', text: text.slice(100) }]), assistant([{ type: 'output_text', text }])])).toBeUndefined();
    // Escaped otherwise than JSON.stringify escapes, the same text could come in other bytes.
    const body = JSON.stringify({ model: 'm', metadata: code(20_000), input: [assistant([{ type: 'output_text', text: 'an answer, long enough to keep: a/b' }])] }).replace('a/b', 'a\\/b');
    expect(body).toContain('a\\/b');
    expect(keepTexts(Buffer.from(body), everywhere)).toBeUndefined();
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

describe('kept encrypted_content', () => {
  const blob = (n: number) => `ccrx.${'A'.repeat(40 + n)}.tag${n}`;
  const request = {
    model: 'm',
    instructions: code(20_000),
    input: [
      { type: 'reasoning', id: 'r1', summary: [], encrypted_content: blob(1) },
      { type: 'reasoning', id: 'r2', summary: [], encrypted_content: `ccrx.${'B'.repeat(40)}\\/é.t` },
      { type: 'message', role: 'user', content: 'short', encrypted_content: blob(3) },
      { type: 'reasoning', id: 'r4', summary: [], encrypted_content: 'short' },
    ],
  };

  it('keeps it out of the parse on reasoning items only, and gives back exactly what JSON.parse reads', () => {
    const raw = Buffer.from(JSON.stringify(request).replace('\\\\/', '\\/'));
    const expected = JSON.parse(raw.toString()) as typeof request;
    const plain = keepTexts(raw, everywhere)!;
    expect((plain.json as typeof request).input[0]!.encrypted_content).toBe(blob(1));
    const kept = keepTexts(raw, { ...everywhere, encryptedContent: true })!;
    const items = (kept.json as typeof request).input;
    expect(items[0]!.encrypted_content).not.toBe(blob(1));
    expect(items.map((item) => kept.original(item.encrypted_content))).toEqual(expected.input.map((item) => item.encrypted_content));
    // Not a reasoning item, or too short: parsed as usual.
    expect(items[2]!.encrypted_content).toBe(blob(3));
    expect(items[3]!.encrypted_content).toBe('short');
    for (const other of ['x', 5, undefined, items[0]!.encrypted_content.slice(0, -1)]) expect(kept.original(other)).toBe(other);
    // Moved as it is (a translator that sends it on), it goes back as the bytes Codex sent.
    expect(kept.restore(JSON.stringify(kept.json))!.toString()).toBe(raw.toString());
  });
});

describe('values cached by bytes', () => {
  it('makes a value once per distinct bytes, keeps a copy of them, evicts the least recently used and never remembers a failure', () => {
    const cache = new BytesCache<number>(2);
    let made = 0;
    const get = (text: string) => cache.get(Buffer.from(text), () => (made += 1));
    expect([get('[1]'), get('[1]'), get('[2]'), get('[1]')]).toEqual([1, 1, 2, 1]);
    expect(made).toBe(2);
    const body = Buffer.from('x[3]x');
    expect(cache.get(body.subarray(1, 4), () => (made += 1))).toBe(3);
    body.write('[9]', 1);
    // [2] was the least recently used: gone; [3] is found by its own copy, not by the body it came from.
    expect([get('[3]'), get('[1]'), get('[2]')]).toEqual([3, 1, 4]);
    expect(() => cache.get(Buffer.from('[bad]'), () => { throw new Error('no'); })).toThrow('no');
    expect(get('[bad]')).toBe(5);
    expect(cache.size).toBe(2);
    // Its keys, most recently used first: what a scan can recognize (copies, not the bodies they came from).
    expect(cache.keys().map(String)).toEqual(['[bad]', '[2]']);
    const small = new BytesCache<number>(2, 4);
    const big = Buffer.from('[1234]');
    expect([small.get(big, () => 1), small.get(big, () => 2), small.size]).toEqual([1, 2, 0]);
  });
});
