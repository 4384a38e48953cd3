import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { convertTools, createLogger, SlotTemplate, type StreamEvent } from '../../src/index.js';
import { ResponseStream } from '../../src/plugins/chat-translator/stream-state.js';
import { calledTools, recordings, recordingsDir } from '../support/recordings.js';

// The chat translator reads chunks that match a learned template without parsing them (chunk-template.ts). Whatever
// the upstream sends, Codex must get the same bytes as when every chunk is parsed: both paths run on every recorded
// provider stream and on generated ones, and their events are compared whole (ids made at random aside).

const log = createLogger({ level: 'silent', pretty: false });

function translate(datas: readonly string[], o: { templates: boolean; tools?: string[]; thinkTags?: boolean }): string[] {
  const map = convertTools((o.tools ?? []).map((name) => ({ type: 'function', name, parameters: { type: 'object' } })), log).map;
  const s = new ResponseStream({ model: 'gpt-5.4', upstreamModel: 'up', map, responseId: 'resp_test', thinkTags: o.thinkTags, chunkTemplates: o.templates });
  return normalized([...s.open(), ...datas.flatMap((d) => s.chunk(d)), ...s.end()]);
}

/** The events as written, with the ids the writer makes at random numbered in order of appearance. */
function normalized(events: StreamEvent[]): string[] {
  const ids = new Map<string, string>();
  const id = (found: string) => {
    if (!ids.has(found)) ids.set(found, `id${ids.size}`);
    return ids.get(found)!;
  };
  return events.map((e) => `${e.event}\n${e.data}`.replace(/\b(?:msg|rs|fc|ctc|call)_[0-9a-f]{32}\b/g, id).replace(/"created_at":\d+/g, '"created_at":0'));
}

/** An SSE event's data as the reader hands it over (its `data:` lines, one leading space dropped, joined). */
function dataOf(event: string): string[] {
  const lines = event.replace(/\r\n/g, '\n').split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
  return lines.length ? [lines.join('\n')] : [];
}

let matched = 0;
afterEach(() => {
  vi.restoreAllMocks();
});
function countMatches(): void {
  matched = 0;
  const match = SlotTemplate.prototype.match;
  vi.spyOn(SlotTemplate.prototype, 'match').mockImplementation(function (this: SlotTemplate, text: string) {
    const values = match.call(this, text);
    if (values) matched += 1;
    return values;
  });
}

describe('chunk templates: the same events as parsing every chunk', () => {
  it.skipIf(!recordingsDir.available)(`on every recorded provider stream, with and without <think> splitting${recordingsDir.skip}`, () => {
    countMatches();
    let chunks = 0;
    for (const recording of recordings().filter((r) => r.kind === 'stream')) {
      const datas = recording.events.flatMap(dataOf);
      chunks += datas.length;
      for (const thinkTags of [false, true]) {
        const o = { tools: calledTools(recording), thinkTags };
        expect(translate(datas, { ...o, templates: true }), recording.name).toEqual(translate(datas, { ...o, templates: false }));
      }
    }
    // Most recorded chunks are text or reasoning of a stable shape: the templates must really have been used.
    expect(matched).toBeGreaterThan(chunks);
  });

  it('on generated streams: any text, any envelope, chunks cut, mutated, out of shape', () => {
    countMatches();
    const field = fc.constantFrom('content', 'reasoning_content', 'reasoning');
    const envelope = fc.record({
      id: fc.constantFrom('chatcmpl-1', 'gen-2'),
      // Mostly what providers send around the delta; sometimes what makes a chunk more than its text.
      extra: fc.oneof(
        { weight: 3, arbitrary: fc.dictionary(fc.constantFrom('system_fingerprint', 'service_tier', 'provider', 'logprobs', 'usage'), fc.constantFrom(null, 'fp_1', 'default'), { maxKeys: 3 }) },
        { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('x_groq', 'usage', 'citations', 'search_results', 'error'), fc.oneof(fc.constant(null), fc.constant(['https://a.example/']), fc.constant({ usage: { prompt_tokens: 4 } }), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 2 }) },
      ),
      obfuscation: fc.boolean(),
    });
    // What else a delta may carry: inert (null, empty) or not (a refusal, details, calls, a second text field).
    const deltaExtra = fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.constant({ role: 'assistant' }) }, { weight: 2, arbitrary: fc.dictionary(
      fc.constantFrom('role', 'refusal', 'annotations', 'tool_calls', 'reasoning_details', 'content', 'reasoning'),
      fc.constantFrom(null, 'assistant', '', 'no', [], [{ type: 'reasoning.encrypted', data: 'x' }], [{ index: 0, id: 'call_2', function: { name: 'exec_command', arguments: '{}' } }]),
      { maxKeys: 2 },
    ) });
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('<think>', '</think>', 'a"b', 'x\\y', '\n', ''));
    const step = fc.oneof(
      // A text chunk; now and then of another shape (field and the rest of the delta), else of the one before.
      { weight: 24, arbitrary: fc.record({ kind: fc.constant('text' as const), text, obf: fc.string({ maxLength: 4 }), shape: fc.option(fc.record({ field, more: deltaExtra, finish: fc.constantFrom(null, null, null, '', 'stop', 'length') }), { freq: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), literal: fc.constantFrom('"\\u0041\\/"', '"\\x"', '"a\u0001"', '"a', '"é\\n"', 'null', '5', '"a","content":"b"') }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat(200), drop: fc.nat(4), insert: fc.constantFrom('', ' ', '"', '\\', '}', ',"refusal":"no"') }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('other' as const), data: fc.constantFrom('[DONE]', '', ' ', '{}', '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', '{"choices":[{"index":0,"delta":{"refusal":"no"}}]}', '{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}', '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"exec_command","arguments":"{}"}}]}}]}') }) },
    );
    fc.assert(
      fc.property(envelope, fc.array(step, { maxLength: 30 }), fc.boolean(), ({ id, extra, obfuscation }, steps, thinkTags) => {
        let lastText = '';
        let shape: { field: string; more: object; finish: string | null } = { field: 'content', more: {}, finish: null };
        const chunk = (f: string, t: string, obf: string, more: object = {}, finish: string | null = null) => JSON.stringify({ id, object: 'chat.completion.chunk', ...extra, choices: [{ index: 0, delta: { ...more, [f]: t }, finish_reason: finish }], ...(obfuscation ? { obfuscation: obf } : {}) });
        const datas = steps.map((s) => {
          if (s.kind === 'text') {
            shape = s.shape ?? shape;
            return (lastText = chunk(shape.field, s.text, s.obf, shape.more, shape.finish));
          }
          if (s.kind === 'raw') return chunk('content', 'X', 'o').replace('"X"', s.literal);
          if (s.kind === 'cut') return lastText.slice(0, s.at) + s.insert + lastText.slice(s.at + s.drop);
          return s.data;
        });
        const o = { tools: ['exec_command'], thinkTags };
        expect(translate(datas, { ...o, templates: true })).toEqual(translate(datas, { ...o, templates: false }));
      }),
      { numRuns: 1500 },
    );
    expect(matched).toBeGreaterThan(300);
  });

  it('parses every chunk again once it has learned templates that never matched', () => {
    countMatches();
    // Every chunk differs outside its text (as HF's token ids do): after a few wasted templates, no more are learned.
    const datas = Array.from({ length: 50 }, (_, i) => JSON.stringify({ choices: [{ index: 0, token: i, delta: { content: `t${i} ` } }] }));
    const learn = vi.spyOn(SlotTemplate, 'learn');
    expect(translate(datas, { templates: true })).toEqual(translate(datas, { templates: false }));
    expect(matched).toBe(0);
    expect(learn.mock.calls.length).toBeLessThanOrEqual(5);
  });
});
