import { afterAll, describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { codexFixture, sharedFixtures } from '../../../test/support/fixtures.js';
import { historyStats, rememberingPair, sampleText } from '../../../test/support/history-pair.js';
import { sendJson } from '../../../test/support/mock-upstream.js';
import type { StartedRouter } from '../../../test/support/router.js';
import messagesTranslator from './index.js';
import { sealThinking } from './carrier.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const history = sharedFixtures('codex-0.169');
const MODEL = 'claude-sonnet-4-5';

type Item = Record<string, unknown>;

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
});

/** One gateway that remembers histories and one that does not (test/support/history-pair.ts). */
async function pair(options: Record<string, unknown> = {}) {
  const gateways = await rememberingPair((url, historyCacheBytes) => ({ plugins: [[messagesTranslator, { baseUrl: url, apiKey: 'k', ...options, ...(historyCacheBytes === undefined ? {} : { historyCacheBytes }) }]] }), (_req, res) => sendJson(res, 200, { id: 'msg_1', type: 'message', role: 'assistant', model: MODEL, content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } }));
  stops.push(gateways.stop);
  return gateways;
}

const healthOf = (gw: StartedRouter) => historyStats(gw.url, 'messages-translator');

/** A real Codex request's head (instructions, tools, its first items) with `items` after them, for a Claude model. */
function session(items: Item[], change: Record<string, unknown> = {}): Item {
  const body = codexFixture('model-gpt-5.5-apply-patch-custom-tool').body;
  return { ...body, model: MODEL, input: [...(body.input as Item[]), ...items], stream: false, reasoning: { effort: 'medium' }, ...change };
}

const text = sampleText;
const thinking = (t: string, model = MODEL) => ({ type: 'reasoning', summary: [], encrypted_content: sealThinking({ blocks: [{ type: 'thinking', thinking: t, signature: `sig-${t.length}` }], model }) });

/** A tool round as Codex sends it: reasoning, a call, its output. */
const round = (n: number, reasoning = true): Item[] => [
  ...(reasoning ? [thinking(text(`thinking ${n}`, 300))] : []),
  { type: 'function_call', call_id: `call_${n}`, name: 'exec_command', arguments: JSON.stringify({ cmd: `sed -n ${n}p file.ts` }) },
  { type: 'function_call_output', call_id: `call_${n}`, output: text(`output ${n}`, 900) },
];

describe('remembered histories (messages)', () => {
  it('send what translating each turn afresh sends, byte for byte, as a Codex session grows, retries, branches and changes', async () => {
    for (const options of [{}, { promptCaching: false }]) {
      const { send, remembering } = await pair(options);
      const items: Item[] = [];
      const turns: Item[] = [];
      for (let n = 0; n < 8; n++) {
        items.push(...round(n));
        if (n === 2) items.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: text('done for now', 400) }] }, { type: 'message', role: 'user', content: [{ type: 'input_text', text: text('next question', 200) }] });
        if (n === 4) items.push({ type: 'message', role: 'developer', content: text('approvals changed', 300) });
        if (n === 5) items.push({ type: 'function_call', call_id: 'call_a', name: 'exec_command', arguments: '{}' }, { type: 'function_call', call_id: 'call_b', name: 'exec_command', arguments: '{}' }, { type: 'function_call_output', call_id: 'call_b', output: 'b first' }, { type: 'function_call_output', call_id: 'call_a', output: 'a second' });
        turns.push(session([...items]));
      }
      const tools = (turns[0]!.tools as Item[]).slice(1);
      const later = [...items, ...round(20), ...round(0).slice(-2), { type: 'function_call_output', call_id: 'call_3', output: 'answered twice' }, ...round(21)];
      // A result Codex sent three rounds after its call: it joins the call's turn, far before its own item.
      const late = [...items, { type: 'function_call', call_id: 'late', name: 'exec_command', arguments: '{}' }, ...round(30), ...round(31), ...round(32), { type: 'function_call_output', call_id: 'late', output: 'late answer' }];
      const lateTurns = [0, 1, 2, 3, 4].map((n) => session([...late, ...Array.from({ length: n }, (_, k) => round(40 + k)).flat()]));
      const mixed = [
        ...turns,
        turns.at(-1)!,
        session([...items.slice(0, 7), { type: 'message', role: 'user', content: 'a branch from an earlier turn, with its own words' }]),
        session([...items, ...round(9)], { tools }),
        session([...items, ...round(10)], { reasoning: undefined }),
        session([...items, ...round(11, false)]),
        session([...items, { type: 'function_call', call_id: 'late', name: 'exec_command', arguments: '{}' }, ...round(12), { type: 'function_call_output', call_id: 'late', output: 'late answer' }]),
        session(later),
        session([...later, ...round(22)]),
        ...lateTurns,
      ];
      for (const body of mixed) {
        const [remembered, afresh] = await send(body);
        expect(remembered).toBe(afresh);
      }
      const health = await healthOf(remembering);
      expect(health.resumed).toBeGreaterThanOrEqual(turns.length - 3);
      expect(health.sessions).toBeGreaterThan(0);
    }
  });

  it('send what translating afresh sends for generated sessions: any items, grown a few at a time', async () => {
    const { send, remembering } = await pair();
    const content = fc.oneof(fc.constantFrom('short', ''), fc.integer({ min: 1, max: 20 }).map((n) => text(`t${n}`, n * 40)));
    const call = fc.constantFrom('a', 'b', 'c', 'd');
    const item: fc.Arbitrary<Item> = fc.oneof(
      content.map((t) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text: t }] })),
      content.map((t) => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: t }] })),
      content.map((t) => ({ type: 'message', role: 'developer', content: t })),
      fc.tuple(content, fc.constantFrom(MODEL, 'other-model')).map(([t, model]) => thinking(t || 'x', model)),
      call.map((id) => ({ type: 'function_call', call_id: id, name: 'exec_command', arguments: '{"cmd":"ls"}' })),
      call.map((id) => ({ type: 'custom_tool_call', call_id: id, name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' })),
      fc.tuple(call, content).map(([id, t]) => ({ type: 'function_call_output', call_id: id, output: t })),
      call.map((id) => ({ type: 'function_call_output', call_id: id, output: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }), async (items, steps) => {
        let n = 0;
        for (const step of steps) {
          n = Math.min(items.length, n + step);
          const [remembered, afresh] = await send(session(items.slice(0, n)));
          expect(remembered).toBe(afresh);
        }
      }),
      { numRuns: 60 },
    );
    expect((await healthOf(remembering)).resumed).toBeGreaterThan(5);
  });

  it.skipIf(!history.available)(`send what translating afresh sends for the bench's long history, grown an item at a time${history.skip}`, async () => {
    const { historyBody, loadRecorded } = (await import(pathToFileURL(join(repoRoot, 'bench', 'codex-history.mjs')).href)) as { historyBody: (recorded: unknown, options: unknown) => { text: string }; loadRecorded: (root: string) => unknown };
    const seal = (t: string, model: string, signature: string) => sealThinking({ blocks: [{ type: 'thinking', thinking: t, signature }], model });
    const full = JSON.parse(historyBody(loadRecorded(repoRoot), { model: MODEL, targetBytes: 400_000, seal }).text) as { input: Item[] };
    const { send, remembering } = await pair();
    // More turns than an entry keeps pieces of before joining them.
    for (let n = Math.max(10, full.input.length - 300); n <= full.input.length; n += 1) {
      const [remembered, afresh] = await send({ ...full, input: full.input.slice(0, n), stream: false, reasoning: { effort: 'medium' } });
      expect(remembered).toBe(afresh);
    }
    expect((await healthOf(remembering)).resumed).toBeGreaterThan(200);
  });
});
