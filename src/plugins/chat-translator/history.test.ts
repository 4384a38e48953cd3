import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codexFixture, sharedFixtures } from '../../../test/support/fixtures.js';
import { assertGrownSessions, benchHistory, historyStats, rememberingPair, sampleText, sessionItems } from '../../../test/support/history-pair.js';
import { sendJson } from '../../../test/support/mock-upstream.js';
import type { StartedRouter } from '../../../test/support/router.js';
import chatTranslator from './index.js';
import { encodeCarrier } from './reasoning-carrier.js';

const history = sharedFixtures('codex-0.169');

type Item = Record<string, unknown>;

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
});

/** One gateway that remembers histories and one that does not (test/support/history-pair.ts). */
async function pair(quirks: Record<string, unknown> = {}) {
  const gateways = await rememberingPair((url, historyCacheBytes) => ({ plugins: [[chatTranslator, { baseUrl: `${url}/v1`, apiKey: 'k', quirks, ...(historyCacheBytes === undefined ? {} : { historyCacheBytes }) }]] }), (_req, res) => sendJson(res, 200, { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  stops.push(gateways.stop);
  return gateways;
}

const healthOf = (gw: StartedRouter) => historyStats(gw.url, 'chat-translator');

/** A real Codex request's head (instructions, tools, its first items) with `items` after them. */
function session(items: Item[], change: Record<string, unknown> = {}): Item {
  const body = codexFixture('model-gpt-5.5-apply-patch-custom-tool').body;
  return { ...body, input: [...(body.input as Item[]), ...items], stream: false, ...change };
}

const text = sampleText;
const carrier = (t: string) => encodeCarrier({ text: t, field: 'reasoning_content', model: 'm' });

/** A tool round as Codex sends it: reasoning, a call, its output. */
const round = (n: number): Item[] => [
  { type: 'reasoning', summary: [{ type: 'summary_text', text: text(`summary ${n}`, 120) }], encrypted_content: carrier(text(`thinking ${n}`, 300)) },
  { type: 'function_call', call_id: `call_${n}`, name: 'exec_command', arguments: JSON.stringify({ cmd: `sed -n ${n}p file.ts` }) },
  { type: 'function_call_output', call_id: `call_${n}`, output: text(`output ${n}`, 900) },
];

describe('remembered histories', () => {
  it("send what translating each turn afresh sends, byte for byte, as a Codex session grows, retries, branches and changes tools", async () => {
    for (const quirks of [{}, { reasoningReplay: 'after-last-user' }, { reasoningField: null, imageModels: ['*'] }]) {
      const { send, remembering } = await pair(quirks);
      const items: Item[] = [];
      const turns: Item[] = [];
      for (let n = 0; n < 6; n++) {
        items.push(...round(n));
        if (n === 2) items.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: text('done for now', 400) }] }, { type: 'message', role: 'user', content: [{ type: 'input_text', text: text('next question', 200) }] });
        if (n === 4) items.push({ type: 'message', role: 'developer', content: text('approvals changed', 300) });
        turns.push(session([...items]));
      }
      const tools = (turns[0]!.tools as Item[]).slice(1);
      // What the prefix's items decide for later ones: a call id already seen, an assistant text said just before.
      const said = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: text('what was said', 300) }] };
      const saidThenCalled = [...items, said, ...round(20).slice(1)];
      const calledAgain = [...saidThenCalled, ...round(0).slice(1), ...round(21)];
      const later = [session(saidThenCalled), session(calledAgain), session([...calledAgain, said])];
      const mixed = [
        ...turns,
        turns.at(-1)!,
        session([...items.slice(0, 4), { type: 'message', role: 'user', content: 'a branch from an earlier turn, with its own words' }]),
        session([...items, ...round(9)], { tools }),
        session([...items, ...round(10)], { model: 'other-model' }),
        session([...items, { type: 'function_call_output', call_id: 'call_5', output: 'answered twice' }, ...round(11)]),
        ...later,
      ];
      for (const body of mixed) {
        const [remembered, afresh] = await send(body);
        expect(remembered).toBe(afresh);
      }
      const health = await healthOf(remembering);
      expect(health.resumed).toBeGreaterThanOrEqual(turns.length - 1);
      expect(health.sessions).toBeGreaterThan(0);
    }
  });

  it('send what translating afresh sends for generated sessions: any items, grown a few at a time', async () => {
    const { send, remembering } = await pair({ reasoningReplay: 'after-last-user', imageModels: ['*'] });
    const content = fc.oneof(fc.constantFrom('short', 'same assistant text, said again and again', ''), fc.integer({ min: 1, max: 20 }).map((n) => text(`t${n}`, n * 40)));
    const reasoning = content.map((t) => ({ type: 'reasoning', summary: [], encrypted_content: carrier(t) }));
    await assertGrownSessions(send, session, sessionItems(content, reasoning), { maxItems: 24, maxSteps: 6 });
    expect((await healthOf(remembering)).resumed).toBeGreaterThan(20);
  });

  it.skipIf(!history.available)(`send what translating afresh sends for the bench's long history, grown a turn at a time${history.skip}`, async () => {
    const full = benchHistory('bench-events-20', (t, model) => encodeCarrier({ text: t, field: 'reasoning_content', model }));
    const { send, remembering } = await pair();
    // An item at a time over the last 260: more turns than an entry keeps pieces of before joining them.
    for (let n = full.input.length - 260; n <= full.input.length; n += 1) {
      const [remembered, afresh] = await send({ ...full, input: full.input.slice(0, n), stream: false });
      expect(remembered).toBe(afresh);
    }
    expect((await healthOf(remembering)).resumed).toBeGreaterThan(140);
  });
});
