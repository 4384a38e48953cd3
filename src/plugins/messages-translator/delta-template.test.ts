import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertTools, createLogger, type StreamEvent } from '../../index.js';
import { MessagesStream } from './stream.js';

// Delta events read through a learned template (delta-template.ts) must give Codex the same bytes as parsing each.

const RECORDINGS = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/real-provider-streams/anthropic-messages');
const log = createLogger({ level: 'silent', pretty: false });

function translate(datas: readonly string[], templates: boolean): string[] {
  const map = convertTools([{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }, { type: 'custom', name: 'apply_patch' }], log).map;
  const s = new MessagesStream({ model: 'm', upstreamModel: 'u', map, responseId: 'resp_test', eventTemplates: templates });
  const ids = new Map<string, string>();
  const events: StreamEvent[] = [...s.open(), ...datas.flatMap((d) => s.event(d)), ...s.end()];
  return events.map((e) => `${e.event}\n${e.data}`.replace(/\b(?:msg|rs|fc|ctc|toolu)_[0-9a-zA-Z_]+\b/g, (id) => (ids.has(id) ? ids.get(id)! : (ids.set(id, `id${ids.size}`), `id${ids.size - 1}`))).replace(/"created_at":\d+/g, '"created_at":0'));
}

const dataOf = (text: string) => text.replace(/\r\n/g, '\n').split(/\n\n+/).flatMap((block) => {
  const lines = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
  return lines.length ? [lines.join('\n')] : [];
});

describe('messages delta templates: the same events as parsing every event', () => {
  it.skipIf(!existsSync(RECORDINGS))('on every recorded Messages stream', () => {
    const files = readdirSync(RECORDINGS).filter((f) => f.endsWith('.chunks.jsonl') || f.endsWith('.sse'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(join(RECORDINGS, file), 'utf8');
      const datas = file.endsWith('.sse') ? dataOf(text) : text.split('\n').filter((l) => l.trim());
      expect(translate(datas, true), file).toEqual(translate(datas, false));
    }
  });

  it('on generated streams: any text, blocks out of order, cut and mutated events', () => {
    const ev = (o: object) => JSON.stringify(o);
    const step = fc.oneof(
      { weight: 12, arbitrary: fc.record({ index: fc.constantFrom(0, 0, 0, 1, 2), type: fc.constantFrom('text_delta', 'text_delta', 'thinking_delta', 'input_json_delta', 'signature_delta'), text: fc.string({ unit: 'binary', maxLength: 10 }) }).map(({ index, type, text }) => ev({ type: 'content_block_delta', index, delta: { type, [type === 'input_json_delta' ? 'partial_json' : type === 'thinking_delta' ? 'thinking' : type === 'signature_delta' ? 'signature' : 'text']: text } })) },
      { weight: 2, arbitrary: fc.constantFrom(ev({ type: 'content_block_start', index: 1, content_block: { type: 'thinking', thinking: '' } }), ev({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input: {} } }), ev({ type: 'content_block_stop', index: 0 }), ev({ type: 'ping' })) },
      { weight: 1, arbitrary: fc.tuple(fc.nat(80), fc.constantFrom('', '"', '\\', '}', ' ')).map(([at, insert]) => { const t = ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'abc' } }); return t.slice(0, at) + insert + t.slice(at + 1); }) },
    );
    const head = [ev({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 3 } } }), ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })];
    const tail = [ev({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }), ev({ type: 'message_stop' })];
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const datas = [...head, ...steps, ...tail];
        expect(translate(datas, true)).toEqual(translate(datas, false));
      }),
      { numRuns: 1000 },
    );
  });
});
